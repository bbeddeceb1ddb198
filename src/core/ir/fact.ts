/**
 * A fact a front end either established or could not. Rules and counters read facts, never
 * defaults: an unknown fact carries the reason it is unknown so a tool can say what it could not see.
 */
export type Fact<T> = { readonly known: true; readonly value: T } | { readonly known: false; readonly reason: string };

export function known<T>(value: T): Fact<T> {
  return { known: true, value };
}

export function unknown<T>(reason: string): Fact<T> {
  return { known: false, reason };
}

/** The value of a fact, or undefined when it is unknown. */
export function valueOf<T>(fact: Fact<T>): T | undefined {
  return fact.known ? fact.value : undefined;
}

/** Combines facts: known only when every input is known (the first unknown reason wins). */
export function allKnown<T extends readonly unknown[]>(facts: { readonly [K in keyof T]: Fact<T[K]> }): Fact<T> {
  const values: unknown[] = [];
  for (const fact of facts as readonly Fact<unknown>[]) {
    if (!fact.known) return unknown(fact.reason);
    values.push(fact.value);
  }
  return known(values as unknown as T);
}
