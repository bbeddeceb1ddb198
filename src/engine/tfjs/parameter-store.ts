import * as tf from '@tensorflow/tfjs-core';

/** A learned tensor, named as PyTorch's `named_parameters()` would name it. */
export interface NamedParameter {
  readonly name: string;
  readonly variable: tf.Variable;
  /** Weight decay applies to conv and linear weights only, never to norms, biases or activations. */
  readonly decay: boolean;
}

/**
 * The model's tensors: learned parameters, and buffers (BatchNorm running statistics) that a
 * training step updates without gradients. Names follow PyTorch so checkpoints read naturally.
 */
export class ParameterStore {
  readonly parameters: NamedParameter[] = [];
  readonly buffers = new Map<string, tf.Variable>();
  private seedCounter: number;

  constructor(seed: number) {
    this.seedCounter = seed >>> 0;
  }

  /** A distinct, reproducible seed for each initialiser call. */
  nextSeed(): number {
    this.seedCounter = (Math.imul(this.seedCounter ^ (this.seedCounter >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0;
    return this.seedCounter;
  }

  add(name: string, init: tf.Tensor, decay: boolean): tf.Variable {
    if (this.parameters.some((p) => p.name === name)) throw new Error(`parameter ${name} is defined twice`);
    const variable = tf.variable(init, true, `p:${name}:${this.parameters.length}:${uniqueSuffix()}`);
    init.dispose();
    this.parameters.push({ name, variable, decay });
    return variable;
  }

  addBuffer(name: string, init: tf.Tensor): tf.Variable {
    const variable = tf.variable(init, false, `b:${name}:${uniqueSuffix()}`);
    init.dispose();
    this.buffers.set(name, variable);
    return variable;
  }

  count(): number {
    return this.parameters.reduce((sum, p) => sum + p.variable.size, 0);
  }

  dispose(): void {
    for (const p of this.parameters) p.variable.dispose();
    for (const b of this.buffers.values()) b.dispose();
    this.parameters.length = 0;
    this.buffers.clear();
  }
}

let counter = 0;
/** tfjs variable names are global to the engine; two models may hold the same layer names. */
function uniqueSuffix(): string {
  counter += 1;
  return String(counter);
}
