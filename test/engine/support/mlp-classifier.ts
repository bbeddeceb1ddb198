/**
 * A two-layer ReLU network, logits = W2 relu(W1 x + b1) + b2 on the flattened NHWC image, with exact
 * input gradients: the smallest non-linear model the attacks must cope with (curved, piecewise
 * linear boundaries, gradients that change from step to step).
 */
import type { Classifier, InputGradient, InputObjective, InputShape } from '../../../src/engine/model/classifier';
import { imageSize } from '../../../src/engine/model/classifier';
import { objectiveOfLogits } from './logit-objectives';
import { Random } from '../../../src/engine/util/random';

export interface MlpWeights {
  readonly hidden: number;
  /** hidden x imageSize. */
  readonly w1: ArrayLike<number>;
  readonly b1: ArrayLike<number>;
  /** numClasses x hidden. */
  readonly w2: ArrayLike<number>;
  readonly b2: ArrayLike<number>;
}

/** y = A v + c for row-major A (rows x cols). */
function affine(a: Float64Array, c: Float64Array, v: ArrayLike<number>, offset: number, cols: number): Float64Array {
  const y = Float64Array.from(c);
  for (let r = 0; r < c.length; r++) {
    let sum = 0;
    for (let j = 0; j < cols; j++) sum += (a[r * cols + j] ?? 0) * (v[offset + j] ?? 0);
    y[r] = (y[r] ?? 0) + sum;
  }
  return y;
}

/** out = A^T u for row-major A (rows x cols). */
function transposeTimes(a: Float64Array, u: Float64Array, cols: number, out: Float64Array): void {
  out.fill(0);
  for (let r = 0; r < u.length; r++) {
    const scale = u[r] ?? 0;
    if (scale === 0) continue;
    for (let j = 0; j < cols; j++) out[j] = (out[j] ?? 0) + scale * (a[r * cols + j] ?? 0);
  }
}

export class MlpClassifier implements Classifier {
  readonly inputShape: InputShape;
  readonly numClasses: number;
  readonly hidden: number;
  private readonly size: number;
  private readonly w1: Float64Array;
  private readonly b1: Float64Array;
  private readonly w2: Float64Array;
  private readonly b2: Float64Array;

  constructor(inputShape: InputShape, numClasses: number, weights: MlpWeights) {
    this.size = imageSize(inputShape);
    const { hidden } = weights;
    const expect = (name: string, got: number, want: number): void => {
      if (got !== want) throw new RangeError(`${name}: ${got} values, expected ${want}`);
    };
    expect('w1', weights.w1.length, hidden * this.size);
    expect('b1', weights.b1.length, hidden);
    expect('w2', weights.w2.length, numClasses * hidden);
    expect('b2', weights.b2.length, numClasses);
    this.inputShape = inputShape;
    this.numClasses = numClasses;
    this.hidden = hidden;
    this.w1 = Float64Array.from(weights.w1);
    this.b1 = Float64Array.from(weights.b1);
    this.w2 = Float64Array.from(weights.w2);
    this.b2 = Float64Array.from(weights.b2);
  }

  private forward(x: Float32Array, i: number): { pre: Float64Array; z: Float64Array } {
    const pre = affine(this.w1, this.b1, x, i * this.size, this.size);
    const h = pre.map((v) => Math.max(v, 0));
    return { pre, z: affine(this.w2, this.b2, h, 0, this.hidden) };
  }

  logits(x: Float32Array, n: number): Promise<Float32Array> {
    const out = new Float32Array(n * this.numClasses);
    for (let i = 0; i < n; i++) out.set(this.forward(x, i).z, i * this.numClasses);
    return Promise.resolve(out);
  }

  inputGradient(x: Float32Array, n: number, objective: InputObjective): Promise<InputGradient> {
    const loss = new Float32Array(n);
    const grad = new Float32Array(n * this.size);
    const logits = new Float32Array(n * this.numClasses);
    const dz = new Float64Array(this.numClasses);
    const dh = new Float64Array(this.hidden);
    const dx = new Float64Array(this.size);
    for (let i = 0; i < n; i++) {
      const { pre, z } = this.forward(x, i);
      logits.set(z, i * this.numClasses);
      loss[i] = objectiveOfLogits(objective, i, z, dz);
      transposeTimes(this.w2, dz, this.hidden, dh);
      // ReLU's derivative is taken as 0 at 0, as PyTorch and tfjs take it.
      for (let r = 0; r < this.hidden; r++) if ((pre[r] ?? 0) <= 0) dh[r] = 0;
      transposeTimes(this.w1, dh, this.size, dx);
      grad.set(dx, i * this.size);
    }
    return Promise.resolve({ loss, grad, logits });
  }
}

/** He-initialised weights (Gaussian, variance 2 / fan-in) and small Gaussian biases, drawn from `seed`. */
export function randomMlpClassifier(
  inputShape: InputShape,
  numClasses: number,
  hidden: number,
  seed: number,
): MlpClassifier {
  const size = imageSize(inputShape);
  const random = new Random(seed);
  const draw = (count: number, std: number): Float64Array =>
    Float64Array.from({ length: count }, () => random.normal() * std);
  return new MlpClassifier(inputShape, numClasses, {
    hidden,
    w1: draw(hidden * size, Math.sqrt(2 / size)),
    b1: draw(hidden, 0.1),
    w2: draw(numClasses * hidden, Math.sqrt(2 / hidden)),
    b2: draw(numClasses, 0.1),
  });
}
