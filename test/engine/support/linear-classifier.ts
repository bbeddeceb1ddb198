/**
 * An affine classifier, logits = W x + b on the flattened NHWC image, implementing Classifier with
 * exact input gradients. Its decision boundaries are hyperplanes, so the attack tests can compare
 * what an attack finds with the closed-form distance to a boundary.
 */
import type { Classifier, InputGradient, InputObjective, InputShape } from '../../../src/engine/model/classifier';
import { imageSize } from '../../../src/engine/model/classifier';
import { objectiveOfLogits } from './logit-objectives';
import { Random } from '../../../src/engine/util/random';

export class LinearClassifier implements Classifier {
  readonly inputShape: InputShape;
  readonly numClasses: number;
  /** numClasses x imageSize, row k the weights of logit k. */
  readonly weights: Float64Array;
  readonly bias: Float64Array;
  private readonly size: number;

  constructor(inputShape: InputShape, numClasses: number, weights: ArrayLike<number>, bias: ArrayLike<number>) {
    this.size = imageSize(inputShape);
    if (weights.length !== numClasses * this.size)
      throw new RangeError(`weights: ${weights.length} values, expected ${numClasses * this.size}`);
    if (bias.length !== numClasses) throw new RangeError(`bias: ${bias.length} values, expected ${numClasses}`);
    this.inputShape = inputShape;
    this.numClasses = numClasses;
    this.weights = Float64Array.from(weights);
    this.bias = Float64Array.from(bias);
  }

  /** Logits of sample `i` of `x`, in double precision. */
  logitsOf(x: Float32Array, i: number): Float64Array {
    const z = Float64Array.from(this.bias);
    const offset = i * this.size;
    for (let k = 0; k < this.numClasses; k++) {
      const row = k * this.size;
      let sum = 0;
      for (let j = 0; j < this.size; j++) sum += (this.weights[row + j] ?? 0) * (x[offset + j] ?? 0);
      z[k] = (z[k] ?? 0) + sum;
    }
    return z;
  }

  logits(x: Float32Array, n: number): Promise<Float32Array> {
    const out = new Float32Array(n * this.numClasses);
    for (let i = 0; i < n; i++) out.set(this.logitsOf(x, i), i * this.numClasses);
    return Promise.resolve(out);
  }

  inputGradient(x: Float32Array, n: number, objective: InputObjective): Promise<InputGradient> {
    const loss = new Float32Array(n);
    const grad = new Float32Array(n * this.size);
    const logits = new Float32Array(n * this.numClasses);
    const dz = new Float64Array(this.numClasses);
    const g = new Float64Array(this.size);
    for (let i = 0; i < n; i++) {
      const z = this.logitsOf(x, i);
      logits.set(z, i * this.numClasses);
      loss[i] = objectiveOfLogits(objective, i, z, dz);
      // d loss / d x = W^T d loss / d z.
      g.fill(0);
      for (let k = 0; k < this.numClasses; k++) {
        const scale = dz[k] ?? 0;
        if (scale === 0) continue;
        const row = k * this.size;
        for (let j = 0; j < this.size; j++) g[j] = (g[j] ?? 0) + scale * (this.weights[row + j] ?? 0);
      }
      grad.set(g, i * this.size);
    }
    return Promise.resolve({ loss, grad, logits });
  }
}

/** Weights ~ N(0, scale^2 / imageSize) and biases ~ N(0, 0.1^2), drawn from `seed`. */
export function randomLinearClassifier(
  inputShape: InputShape,
  numClasses: number,
  seed: number,
  scale = 1,
): LinearClassifier {
  const size = imageSize(inputShape);
  const random = new Random(seed);
  const weights = Float64Array.from({ length: numClasses * size }, () => (random.normal() * scale) / Math.sqrt(size));
  const bias = Float64Array.from({ length: numClasses }, () => random.normal() * 0.1);
  return new LinearClassifier(inputShape, numClasses, weights, bias);
}
