/**
 * Data movement on the wasm heap that no stock kernel does in one pass: kernel flips, zero
 * insertion and cropping. Each is a single sweep in JavaScript over memory the conv then reads.
 */
import type { TensorInfo } from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { allocate, heap, shape4 } from './backend-calls';

/**
 * A filter [kh, kw, a, b] rotated by 180 degrees in space. With `swapChannels` its last two axes
 * are exchanged too ([kh, kw, b, a]): the kernel of a conv's input gradient.
 */
export function flipFilter(backend: BackendWasm, filter: TensorInfo, swapChannels: boolean): TensorInfo {
  const [kh, kw, a, b] = shape4(filter);
  const out = allocate(backend, swapChannels ? [kh, kw, b, a] : [kh, kw, a, b]);
  const src = heap(backend, filter);
  const dst = heap(backend, out);
  const block = a * b;
  for (let y = 0; y < kh; y++) {
    for (let x = 0; x < kw; x++) {
      const from = ((kh - 1 - y) * kw + (kw - 1 - x)) * block;
      const to = (y * kw + x) * block;
      if (!swapChannels) {
        dst.set(src.subarray(from, from + block), to);
        continue;
      }
      for (let i = 0; i < a; i++) {
        for (let o = 0; o < b; o++) dst[to + o * a + i] = src[from + i * b + o] as number;
      }
    }
  }
  return out;
}

/** Where the pixels of an NHWC tensor land in a spread one, per spatial axis. */
export interface SpreadAxis {
  /** Size of the result along the axis. */
  readonly size: number;
  /** Distance between neighbouring source pixels (the stride being undone). */
  readonly step: number;
  /** Position of source pixel 0; negative or past the end means it is dropped. */
  readonly offset: number;
}

/**
 * Spreads x [n, h, w, c] onto a zero grid [n, rows.size, cols.size, c]: source pixel (i, j) goes to
 * (rows.offset + i * rows.step, cols.offset + j * cols.step). This is the zero insertion (plus
 * padding or cropping) that turns a strided conv's output gradient into a stride-1 conv input.
 */
export function spread(backend: BackendWasm, x: TensorInfo, rows: SpreadAxis, cols: SpreadAxis): TensorInfo {
  const [n, h, w, c] = shape4(x);
  const out = allocate(backend, [n, rows.size, cols.size, c]);
  const src = heap(backend, x);
  const dst = heap(backend, out);
  dst.fill(0);
  for (let b = 0; b < n; b++) {
    for (let i = 0; i < h; i++) {
      const y = rows.offset + i * rows.step;
      if (y < 0 || y >= rows.size) continue;
      for (let j = 0; j < w; j++) {
        const x2 = cols.offset + j * cols.step;
        if (x2 < 0 || x2 >= cols.size) continue;
        const from = ((b * h + i) * w + j) * c;
        const to = ((b * rows.size + y) * cols.size + x2) * c;
        for (let k = 0; k < c; k++) dst[to + k] = src[from + k] as number;
      }
    }
  }
  return out;
}

/** The top-left [height, width] corner of x [n, h, w, c]. */
export function cropSpatial(backend: BackendWasm, x: TensorInfo, height: number, width: number): TensorInfo {
  const [n, h, w, c] = shape4(x);
  const out = allocate(backend, [n, height, width, c]);
  const src = heap(backend, x);
  const dst = heap(backend, out);
  const row = width * c;
  for (let b = 0; b < n; b++) {
    for (let y = 0; y < height; y++) {
      const from = (b * h + y) * w * c;
      dst.set(src.subarray(from, from + row), (b * height + y) * row);
    }
  }
  return out;
}
