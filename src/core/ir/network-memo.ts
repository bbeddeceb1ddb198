import type { Network } from './network';

/**
 * Values computed from a network (its summary, its rule findings), kept beside it. The IR is
 * immutable, so a value stays valid as long as its network lives; when the PyTorch front end
 * reuses a network at moved lines it moves these values with it instead of computing them again.
 */
const derived = new WeakMap<Network, Map<symbol, unknown>>();

export class NetworkMemo<T> {
  private readonly slot: symbol;

  constructor(name: string) {
    this.slot = Symbol(name);
  }

  get(network: Network): T | undefined {
    return derived.get(network)?.get(this.slot) as T | undefined;
  }

  set(network: Network, value: T): void {
    let values = derived.get(network);
    if (!values) {
      values = new Map();
      derived.set(network, values);
    }
    values.set(this.slot, value);
  }
}

/** Everything memoised for a network (to move along with it). */
export function derivedValues(network: Network): ReadonlyMap<symbol, unknown> | undefined {
  return derived.get(network);
}

export function setDerivedValues(network: Network, values: ReadonlyMap<symbol, unknown>): void {
  derived.set(network, new Map(values));
}
