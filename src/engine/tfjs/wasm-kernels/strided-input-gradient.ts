/**
 * The input gradient of a strided conv without zero insertion. With stride s, the input pixels
 * y = Y * s + a (one phase a per residue) receive gradient only from the kernel taps t = a + pad
 * (mod s), so each phase is a stride-1 conv of dy with a sub-kernel of those taps. The s * s phase
 * convs do the arithmetic of one forward conv; the zero-inserted dy did s * s times as much,
 * multiplying zeros.
 */
import type { TensorInfo } from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { allocate, free, heap, runKernel, shape4 } from './backend-calls';
import { explicitPadding, type ConvAxis } from './conv-geometry';
import { spread } from './relayout';

/** One residue class of one spatial axis. */
interface Phase {
  /** First input pixel of the phase (its residue). */
  readonly first: number;
  /** Input pixels in the phase. */
  readonly count: number;
  /** Kernel taps first + k * stride... reaching the phase, nearest last (the flipped order). */
  readonly taps: readonly number[];
  /** dy rows before the phase conv's first window; negative: that many dy rows are skipped. */
  readonly padBefore: number;
  readonly padAfter: number;
}

function phases(axis: ConvAxis): Phase[] {
  const out: Phase[] = [];
  for (let a = 0; a < Math.min(axis.stride, axis.inSize); a++) {
    const firstTap = (a + axis.padBefore) % axis.stride;
    const taps: number[] = [];
    for (let t = firstTap; t < axis.kernel; t += axis.stride) taps.unshift(t);
    // dx[Y * s + a] = sum over j of dy[Y + shift - j] * w[firstTap + j * s], shift below.
    const shift = Math.floor((a + axis.padBefore) / axis.stride);
    const count = Math.ceil((axis.inSize - a) / axis.stride);
    const padBefore = taps.length - 1 - shift;
    const padAfter = count - 1 + taps.length - axis.outSize - padBefore;
    out.push({ first: a, count, taps, padBefore, padAfter });
  }
  return out;
}

/** filter [kh, kw, in, out] at the given taps, as [rows, cols, out, in]: a phase's kernel. */
function subFilter(
  backend: BackendWasm,
  filter: TensorInfo,
  rows: readonly number[],
  cols: readonly number[],
): TensorInfo {
  const [, kw, cin, cout] = shape4(filter);
  const out = allocate(backend, [rows.length, cols.length, cout, cin]);
  const src = heap(backend, filter);
  const dst = heap(backend, out);
  let to = 0;
  for (const r of rows) {
    for (const c of cols) {
      const from = (r * kw + c) * cin * cout;
      for (let o = 0; o < cout; o++) {
        for (let i = 0; i < cin; i++) dst[to++] = src[from + i * cout + o] as number;
      }
    }
  }
  return out;
}

/** Runs the stride-1 conv of one phase, cropping dy first where the phase's padding is negative. */
function phaseConv(backend: BackendWasm, dy: TensorInfo, kernel: TensorInfo, row: Phase, col: Phase): TensorInfo {
  const [, oh, ow] = shape4(dy);
  if (row.padBefore >= 0 && row.padAfter >= 0 && col.padBefore >= 0 && col.padAfter >= 0) {
    const pad = explicitPadding([row.padBefore, row.padAfter], [col.padBefore, col.padAfter]);
    return runKernel(
      backend,
      'Conv2D',
      { x: dy, filter: kernel },
      { strides: [1, 1], dilations: [1, 1], pad, dataFormat: 'NHWC' },
    );
  }
  const padded = spread(
    backend,
    dy,
    { size: oh + row.padBefore + row.padAfter, step: 1, offset: row.padBefore },
    { size: ow + col.padBefore + col.padAfter, step: 1, offset: col.padBefore },
  );
  try {
    return runKernel(
      backend,
      'Conv2D',
      { x: padded, filter: kernel },
      { strides: [1, 1], dilations: [1, 1], pad: 'valid', dataFormat: 'NHWC' },
    );
  } finally {
    free(backend, padded);
  }
}

/** Writes a phase's result [n, rows, cols, c] into every stride-th pixel of dx [n, h, w, c]. */
function interleave(
  backend: BackendWasm,
  part: TensorInfo,
  dx: TensorInfo,
  row: Phase,
  col: Phase,
  rows: ConvAxis,
  cols: ConvAxis,
): void {
  const [n, h, w, c] = shape4(dx);
  const src = heap(backend, part);
  const dst = heap(backend, dx);
  let from = 0;
  for (let b = 0; b < n; b++) {
    for (let y = 0; y < row.count; y++) {
      const rowStart = (b * h + row.first + y * rows.stride) * w;
      for (let x = 0; x < col.count; x++) {
        const to = (rowStart + col.first + x * cols.stride) * c;
        for (let k = 0; k < c; k++) dst[to + k] = src[from++] as number;
      }
    }
  }
}

/** dx [n, h, w, in] of a conv with filter [kh, kw, in, out], stride > 1 and dilation 1. */
export function stridedInputGradient(
  backend: BackendWasm,
  dy: TensorInfo,
  filter: TensorInfo,
  inputShape: number[],
  rows: ConvAxis,
  cols: ConvAxis,
): TensorInfo {
  const dx = allocate(backend, inputShape);
  heap(backend, dx).fill(0);
  for (const row of phases(rows)) {
    for (const col of phases(cols)) {
      // No tap reaches this phase (a kernel smaller than the stride): its gradient stays zero.
      if (row.taps.length === 0 || col.taps.length === 0) continue;
      const kernel = subFilter(backend, filter, row.taps, col.taps);
      let part: TensorInfo | null = null;
      try {
        part = phaseConv(backend, dy, kernel, row, col);
        interleave(backend, part, dx, row, col, rows, cols);
      } finally {
        free(backend, kernel, ...(part ? [part] : []));
      }
    }
  }
  return dx;
}
