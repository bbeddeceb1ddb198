/**
 * Runs one computation on the wasm and cpu back ends (tensors re-created on each) and measures how
 * far apart the results are.
 */
import * as tf from '@tensorflow/tfjs-core';
import { selectTfjsBackend } from '../../../src/engine/tfjs/select-backend';

/** Starts wasm with our kernels (the cpu back end is always there). */
export async function startWasm(): Promise<void> {
  await selectTfjsBackend('wasm');
}

/** Deterministic values in [-1, 1) (mulberry32), so a failure reproduces. */
export function randomValues(size: number, seed: number): Float32Array {
  let state = seed >>> 0;
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = (((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1;
  }
  return out;
}

/** max |a - b| / max |b|: the error relative to the reference's scale. */
export function relativeError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  if (actual.length !== expected.length) return Number.POSITIVE_INFINITY;
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < expected.length; i++) {
    diff = Math.max(diff, Math.abs((actual[i] as number) - (expected[i] as number)));
    scale = Math.max(scale, Math.abs(expected[i] as number));
  }
  return diff / Math.max(scale, 1e-30);
}

export interface ConvResult {
  readonly shape: number[];
  readonly y: Float32Array;
  readonly dx: Float32Array;
  readonly dw: Float32Array;
}

/**
 * y = f(x, w) and the gradients of sum(y * cotangent) (a random cotangent, so every output pixel's
 * gradient path counts) on the back end `backend`.
 */
export async function valueAndGradients(
  backend: 'wasm' | 'cpu',
  f: (x: tf.Tensor4D, w: tf.Tensor4D) => tf.Tensor4D,
  x: { values: Float32Array; shape: [number, number, number, number] },
  w: { values: Float32Array; shape: [number, number, number, number] },
  seed: number,
): Promise<ConvResult> {
  await tf.setBackend(backend);
  // Tensors out of tidy, arrays read afterwards: tidy would walk every element of a typed array.
  const [y, dx, dw] = tf.tidy(() => {
    const xt = tf.tensor4d(x.values, x.shape);
    const wt = tf.tensor4d(w.values, w.shape);
    const out = f(xt, wt);
    const cotangent = tf.tensor(randomValues(out.size, seed), out.shape);
    const grads = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
      tf.sum(tf.mul(f(a as tf.Tensor4D, b as tf.Tensor4D), cotangent)),
    )([xt, wt]);
    return [out, ...grads];
  });
  if (!y || !dx || !dw) throw new Error('tf.grads returned no gradient');
  const result = {
    shape: y.shape,
    y: y.dataSync() as Float32Array,
    dx: dx.dataSync() as Float32Array,
    dw: dw.dataSync() as Float32Array,
  };
  tf.dispose([y, dx, dw]);
  return result;
}
