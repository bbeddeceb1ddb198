import type { GraphBuilder } from './graph-builder';

/**
 * The vector-Jacobian product of one forward op: given the gradient of the objective with respect
 * to the op's output, appends the nodes computing the gradients with respect to the recorded
 * inputs (same order) and returns their names. `needed[k]` says whether input k's gradient is
 * used: an op may skip (return undefined for) the ones that are not, and should when they are
 * costly (a conv's input gradient in front of the first layer, a frozen weight's gradient).
 */
export type Vjp = (gradOut: string, needed: readonly boolean[]) => readonly (string | undefined)[];

interface Entry {
  readonly inputs: readonly string[];
  readonly output: string;
  readonly vjp: Vjp;
}

/**
 * Records the forward ops, in execution order, for reverse-mode differentiation (the classic
 * "tape" of automatic differentiation; Griewank and Walther, "Evaluating Derivatives", 2008,
 * ch. 3). An op records as inputs the values it may need gradients for: the image path always,
 * and weights when they are graph values (training) rather than constants (evaluation).
 */
export class Tape {
  private readonly entries: Entry[] = [];

  constructor(readonly graph: GraphBuilder) {}

  record(inputs: readonly string[], output: string, vjp: Vjp): string {
    this.entries.push({ inputs, output, vjp });
    return output;
  }

  /**
   * Appends the backward pass from `output` (whose gradient is `seed`) to `wrt` and returns the
   * name of d(objective)/d(wrt).
   */
  gradient(output: string, seed: string, wrt: string): string {
    const [result] = this.gradients([[output, seed]], [wrt]);
    if (result === undefined) throw new Error('the output does not depend on the input');
    return result;
  }

  /**
   * The gradients of an objective with respect to each of `wrt` (undefined where it does not
   * depend on one), given its gradients (`seeds`, [value, gradient] pairs) with respect to the
   * values it is computed from (TRADES: both passes' logits). Only values on a path from some
   * `wrt` to a seeded value are differentiated, and gradients of values used more than once are
   * summed.
   */
  gradients(seeds: readonly (readonly [string, string])[], wrt: readonly string[]): (string | undefined)[] {
    const depends = new Set(wrt);
    for (const entry of this.entries) if (entry.inputs.some((i) => depends.has(i))) depends.add(entry.output);
    const grads = new Map<string, string>(seeds.map(([value, seed]) => [value, seed]));
    for (let i = this.entries.length - 1; i >= 0; i--) {
      const entry = this.entries[i] as Entry;
      if (!depends.has(entry.output)) continue;
      const gy = grads.get(entry.output);
      if (gy === undefined) continue;
      const needed = entry.inputs.map((input) => depends.has(input));
      const gx = entry.vjp(gy, needed);
      if (gx.length !== entry.inputs.length)
        throw new Error(`a vector-Jacobian product returned ${gx.length} gradients for ${entry.inputs.length} inputs`);
      entry.inputs.forEach((input, k) => {
        const g = gx[k];
        if (!needed[k] || g === undefined) return;
        const previous = grads.get(input);
        grads.set(input, previous === undefined ? g : this.graph.node('Add', [previous, g], this.graph.shape(g)));
      });
    }
    return wrt.map((w) => grads.get(w));
  }
}
