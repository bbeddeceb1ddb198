import type { InferenceSession, Tensor } from 'onnxruntime-node';
import { imageSize, type InputShape } from '../model/classifier';
import type { OnnxRuntime } from './load-onnxruntime';

/** What both ONNX classifiers (evaluation, training) do around their sessions. */

/** Session options of every graph: ORT's full optimisation, sequential, intra-op threads only. */
export function sessionOptions(threads: number, provider: 'cpu' | 'cuda' = 'cpu'): InferenceSession.SessionOptions {
  return {
    graphOptimizationLevel: 'all',
    // CUDA leaves the few ops it lacks to the CPU provider.
    executionProviders: provider === 'cuda' ? ['cuda', 'cpu'] : ['cpu'],
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    // Errors only: ORT's warnings (an initializer it pruned, say) are not the user's to act on.
    logSeverityLevel: 3,
  };
}

/**
 * The batch size of the graph that runs n images, given the `kind:batch` keys of the graphs
 * compiled: the smallest one of this kind that holds them with at most as many padding rows as
 * real ones, else n itself. Attacks shrink their batches to the points still robust; without this
 * every new size would compile a graph (about half a second for a ResNet-20) and keep it. Every op
 * is per sample in evaluation mode, so padding rows (zeros) change nothing in the real ones.
 */
export function graphBatch(compiled: Iterable<string>, kind: string, n: number): number {
  let best = n;
  let found = false;
  for (const key of compiled) {
    const [k, size] = key.split(':');
    const m = Number(size);
    if (k === kind && m >= n && m <= 2 * n && (!found || m < best)) {
      best = m;
      found = true;
    }
  }
  return best;
}

/** n NHWC images as the graph's input of batch m (zero rows after them). */
export function imageTensor(ort: OnnxRuntime, shape: InputShape, x: Float32Array, n: number, m: number): Tensor {
  const per = imageSize(shape);
  if (x.length !== n * per) throw new RangeError(`expected ${n} images of ${per} values, got ${x.length} values`);
  return new ort.Tensor('float32', padRows(x, m * per), [m, shape.height, shape.width, shape.channels]);
}

/** `data` followed by zeros up to `length`, or itself when it is that long already. */
export function padRows(data: Float32Array, length: number): Float32Array {
  if (data.length === length) return data;
  const out = new Float32Array(length);
  out.set(data);
  return out;
}

/** The first `length` values, without a copy. */
export function rows(data: Float32Array, length: number): Float32Array {
  return data.length === length ? data : data.subarray(0, length);
}

export function floats(t: Tensor | undefined): Float32Array {
  if (!t || !(t.data instanceof Float32Array)) throw new Error('onnxruntime returned no float32 output');
  return t.data;
}
