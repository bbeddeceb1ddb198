import type { Shape } from './graph-builder';
import type { Tape } from './tape';

/** A 2-D convolution with PyTorch's semantics: symmetric zero padding, OIHW weights. */
export interface ConvSpec {
  /** [out, in / groups, kh, kw], row-major. */
  readonly weight: Float32Array;
  readonly weightShape: readonly [number, number, number, number];
  readonly bias?: Float32Array;
  readonly stride: readonly [number, number];
  readonly padding: readonly [number, number];
  readonly dilation: readonly [number, number];
  readonly groups: number;
}

export function convOutputSize(
  input: number,
  kernel: number,
  stride: number,
  padding: number,
  dilation: number,
): number {
  return Math.floor((input + 2 * padding - dilation * (kernel - 1) - 1) / stride) + 1;
}

/** Conv on NCHW input, recorded with its input gradient. */
export function conv(tape: Tape, x: string, spec: ConvSpec): string {
  const g = tape.graph;
  const [n, , h, w] = g.shape(x) as [number, number, number, number];
  const [o, , kh, kw] = spec.weightShape;
  const ho = convOutputSize(h, kh, spec.stride[0], spec.padding[0], spec.dilation[0]);
  const wo = convOutputSize(w, kw, spec.stride[1], spec.padding[1], spec.dilation[1]);
  const inputs = [x, g.constant(spec.weight, spec.weightShape, 'w')];
  if (spec.bias) inputs.push(g.constant(spec.bias, [o], 'b'));
  const y = g.node('Conv', inputs, [n, o, ho, wo], {
    kernel_shape: [kh, kw],
    strides: spec.stride,
    pads: [spec.padding[0], spec.padding[1], spec.padding[0], spec.padding[1]],
    dilations: spec.dilation,
    group: spec.groups,
  });
  return tape.record([x], y, (gy) => [convInputGradient(tape, gy, spec, g.shape(x))]);
}

/**
 * d(sum(conv(x) * gy))/dx. At stride 1 it is a forward Conv of the output gradient with the kernel
 * flipped and its in/out channels swapped per group (Dumoulin and Visin, "A guide to convolution
 * arithmetic for deep learning", 2016, sec. 4): ORT's fast forward path, where a ConvTranspose ran
 * 1.5-2x slower. With strides that conv needs zeros inserted between the gradient's pixels, and
 * there ORT's ConvTranspose was about 2x faster than both zero insertion and a polyphase
 * formulation (measured on 32x32 and 16x16 maps, batch 128), so strided convs use it.
 */
export function convInputGradient(tape: Tape, gy: string, spec: ConvSpec, inputShape: Shape): string {
  const g = tape.graph;
  const [n, cin, h, w] = inputShape as [number, number, number, number];
  const [o, , kh, kw] = spec.weightShape;
  const [, , ho, wo] = g.shape(gy) as [number, number, number, number];
  const [sh, sw] = spec.stride;
  const [dh, dw] = spec.dilation;
  const [ph, pw] = spec.padding;
  if (sh > 1 || sw > 1) {
    // The rows and columns a strided conv never reached come back as output_padding (< stride).
    const extra = [h - ((ho - 1) * sh + (kh - 1) * dh + 1 - 2 * ph), w - ((wo - 1) * sw + (kw - 1) * dw + 1 - 2 * pw)];
    return g.node('ConvTranspose', [gy, g.constant(spec.weight, spec.weightShape, 'w')], [n, cin, h, w], {
      kernel_shape: [kh, kw],
      strides: spec.stride,
      pads: [ph, pw, ph, pw],
      dilations: spec.dilation,
      group: spec.groups,
      output_padding: extra,
    });
  }
  // Stride 1: padding (k-1)d - p on the left; negative padding (a conv padded beyond its reach) becomes a slice.
  const left: [number, number] = [(kh - 1) * dh - ph, (kw - 1) * dw - pw];
  const right: [number, number] = [h + (kh - 1) * dh - left[0] - ho, w + (kw - 1) * dw - left[1] - wo];
  const trimmed = trim(
    tape,
    gy,
    [Math.max(0, -left[0]), Math.max(0, -left[1])],
    [Math.max(0, -right[0]), Math.max(0, -right[1])],
  );
  const pads = [Math.max(0, left[0]), Math.max(0, left[1]), Math.max(0, right[0]), Math.max(0, right[1])];
  return g.node(
    'Conv',
    [trimmed, g.constant(flipTransposed(spec), [cin, o / spec.groups, kh, kw], 'wt')],
    [n, cin, h, w],
    {
      kernel_shape: [kh, kw],
      strides: [1, 1],
      pads,
      dilations: spec.dilation,
      group: spec.groups,
    },
  );
}

function trim(tape: Tape, x: string, start: readonly [number, number], end: readonly [number, number]): string {
  if (start[0] === 0 && start[1] === 0 && end[0] === 0 && end[1] === 0) return x;
  const g = tape.graph;
  const [n, c, h, w] = g.shape(x) as [number, number, number, number];
  return g.node(
    'Slice',
    [x, g.ints([start[0], start[1]]), g.ints([h - end[0], w - end[1]]), g.ints([2, 3])],
    [n, c, h - start[0] - end[0], w - start[1] - end[1]],
  );
}

/** W[o, i, y, x] of group j becomes W'[j * I + i, o, kh-1-y, kw-1-x] (I = in channels per group). */
function flipTransposed(spec: ConvSpec): Float32Array {
  const [o, ig, kh, kw] = spec.weightShape;
  const og = o / spec.groups;
  const out = new Float32Array(spec.weight.length);
  for (let j = 0; j < spec.groups; j++) {
    for (let b = 0; b < og; b++) {
      for (let a = 0; a < ig; a++) {
        const src = ((j * og + b) * ig + a) * kh * kw;
        const dst = ((j * ig + a) * og + b) * kh * kw;
        for (let y = 0; y < kh; y++) {
          for (let x = 0; x < kw; x++)
            out[dst + (kh - 1 - y) * kw + (kw - 1 - x)] = spec.weight[src + y * kw + x] as number;
        }
      }
    }
  }
  return out;
}
