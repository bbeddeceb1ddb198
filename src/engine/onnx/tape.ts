import type { GraphBuilder } from './graph-builder';

/**
 * The vector-Jacobian product of one forward op: given the gradient of the objective with respect
 * to the op's output, appends the nodes computing the gradients with respect to each recorded
 * input (same order), and returns their names.
 */
export type Vjp = (gradOut: string) => readonly string[];

interface Entry {
  readonly inputs: readonly string[];
  readonly output: string;
  readonly vjp: Vjp;
}

/**
 * Records the forward ops that depend on the input, in execution order, for reverse-mode
 * differentiation (the classic "tape" of automatic differentiation; Griewank and Walther,
 * "Evaluating Derivatives", 2008, ch. 3). Constants (weights) are never recorded as inputs: the
 * graphs only ever need the gradient with respect to the image.
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
   * name of d(objective)/d(wrt). Gradients of values used more than once are summed.
   */
  gradient(output: string, seed: string, wrt: string): string {
    const grads = new Map<string, string>([[output, seed]]);
    for (let i = this.entries.length - 1; i >= 0; i--) {
      const entry = this.entries[i] as Entry;
      const gy = grads.get(entry.output);
      if (gy === undefined) continue;
      const gx = entry.vjp(gy);
      if (gx.length !== entry.inputs.length) throw new Error(`a vector-Jacobian product returned ${gx.length} gradients for ${entry.inputs.length} inputs`);
      entry.inputs.forEach((input, k) => {
        const g = gx[k] as string;
        const previous = grads.get(input);
        grads.set(input, previous === undefined ? g : this.graph.node('Add', [previous, g], this.graph.shape(g)));
      });
    }
    const result = grads.get(wrt);
    if (result === undefined) throw new Error('the output does not depend on the input');
    return result;
  }
}
