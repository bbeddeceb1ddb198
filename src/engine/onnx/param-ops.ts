import { convOutputSize } from './conv-ops';
import { convWeightGradient } from './conv-weight-gradient';
import type { GraphBuilder, Shape } from './graph-builder';
import type { Tape } from './tape';

/**
 * Ops whose weights are graph values (fed per call, or updated inside the graph) instead of
 * constants, each recorded with the gradients of its input and of its weights: the training
 * graphs differentiate with respect to both, the attack graphs of a model in training only with
 * respect to the image (the tape skips what is not needed).
 */

export interface ConvGeometry {
  readonly stride: readonly [number, number];
  readonly padding: readonly [number, number];
  readonly dilation: readonly [number, number];
  readonly groups: number;
}

/** Conv on NCHW input with an OIHW weight value and an optional [out] bias value. */
export function convValue(tape: Tape, x: string, w: string, b: string | undefined, geo: ConvGeometry): string {
  const g = tape.graph;
  const [n, , h, wd] = g.shape(x) as [number, number, number, number];
  const [o, , kh, kw] = g.shape(w) as [number, number, number, number];
  const ho = convOutputSize(h, kh, geo.stride[0], geo.padding[0], geo.dilation[0]);
  const wo = convOutputSize(wd, kw, geo.stride[1], geo.padding[1], geo.dilation[1]);
  const inputs = b === undefined ? [x, w] : [x, w, b];
  const y = g.node('Conv', inputs, [n, o, ho, wo], {
    kernel_shape: [kh, kw],
    strides: geo.stride,
    pads: [geo.padding[0], geo.padding[1], geo.padding[0], geo.padding[1]],
    dilations: geo.dilation,
    group: geo.groups,
  });
  return tape.record(inputs, y, (gy, needed) => [
    needed[0] ? convInputGradientValue(g, gy, w, geo, g.shape(x)) : undefined,
    needed[1] ? convWeightGradient(g, x, gy, geo, g.shape(w)) : undefined,
    ...(b === undefined
      ? []
      : [needed[2] ? g.node('ReduceSum', [gy, g.ints([0, 2, 3])], [o], { keepdims: 0 }) : undefined]),
  ]);
}

/**
 * d(sum(conv(x) * gy))/dx with the weight a value: the same formulation as conv-ops.ts's (a
 * forward Conv of gy with the kernel flipped and transposed per group at stride 1, ConvTranspose
 * with strides), with the flip done by graph ops on the small kernel.
 */
export function convInputGradientValue(
  g: GraphBuilder,
  gy: string,
  w: string,
  geo: ConvGeometry,
  inputShape: Shape,
): string {
  const [n, cin, h, wd] = inputShape as [number, number, number, number];
  const [o, ig, kh, kw] = g.shape(w) as [number, number, number, number];
  const [, , ho, wo] = g.shape(gy) as [number, number, number, number];
  const [sh, sw] = geo.stride;
  const [dh, dw] = geo.dilation;
  const [ph, pw] = geo.padding;
  if (sh > 1 || sw > 1) {
    const extra = [h - ((ho - 1) * sh + (kh - 1) * dh + 1 - 2 * ph), wd - ((wo - 1) * sw + (kw - 1) * dw + 1 - 2 * pw)];
    return g.node('ConvTranspose', [gy, w], [n, cin, h, wd], {
      kernel_shape: [kh, kw],
      strides: geo.stride,
      pads: [ph, pw, ph, pw],
      dilations: geo.dilation,
      group: geo.groups,
      output_padding: extra,
    });
  }
  const left: [number, number] = [(kh - 1) * dh - ph, (kw - 1) * dw - pw];
  const right: [number, number] = [h + (kh - 1) * dh - left[0] - ho, wd + (kw - 1) * dw - left[1] - wo];
  let source = gy;
  const cut = [Math.max(0, -left[0]), Math.max(0, -left[1]), Math.max(0, -right[0]), Math.max(0, -right[1])] as const;
  if (cut.some((c) => c > 0)) {
    source = g.node(
      'Slice',
      [gy, g.ints([cut[0], cut[1]]), g.ints([ho - cut[2], wo - cut[3]]), g.ints([2, 3])],
      [n, o, ho - cut[0] - cut[2], wo - cut[1] - cut[3]],
    );
  }
  const pads = [Math.max(0, left[0]), Math.max(0, left[1]), Math.max(0, right[0]), Math.max(0, right[1])];
  const groups = geo.groups;
  const og = o / groups;
  let transposed: string;
  if (groups === 1) {
    transposed = g.node('Transpose', [w], [ig, o, kh, kw], { perm: [1, 0, 2, 3] });
  } else {
    const split = g.node('Reshape', [w, g.ints([groups, og, ig, kh, kw])], [groups, og, ig, kh, kw]);
    const swapped = g.node('Transpose', [split], [groups, ig, og, kh, kw], { perm: [0, 2, 1, 3, 4] });
    transposed = g.node('Reshape', [swapped, g.ints([groups * ig, og, kh, kw])], [groups * ig, og, kh, kw]);
  }
  // Steps of -1 from the last index to past the first reverse both spatial axes.
  const flipped =
    kh * kw === 1
      ? transposed
      : g.node(
          'Slice',
          [transposed, g.ints([-1, -1]), g.ints([-(kh + 1), -(kw + 1)]), g.ints([2, 3]), g.ints([-1, -1])],
          [cin, og, kh, kw],
        );
  return g.node('Conv', [source, flipped], [n, cin, h, wd], {
    kernel_shape: [kh, kw],
    strides: [1, 1],
    pads,
    dilations: geo.dilation,
    group: groups,
  });
}

/** x [N, in] times weight [in, out] (tfjs's layout) plus an optional bias, all values. */
export function linearValue(tape: Tape, x: string, w: string, b: string | undefined): string {
  const g = tape.graph;
  const [n, fin] = g.shape(x) as [number, number];
  const fout = g.shape(w)[1] as number;
  const inputs = b === undefined ? [x, w] : [x, w, b];
  const y = g.node('Gemm', inputs, [n, fout]);
  return tape.record(inputs, y, (gy, needed) => [
    needed[0] ? g.node('Gemm', [gy, w], [n, fin], { transB: 1 }) : undefined,
    needed[1] ? g.node('Gemm', [x, gy], [fin, fout], { transA: 1 }) : undefined,
    ...(b === undefined
      ? []
      : [needed[2] ? g.node('ReduceSum', [gy, g.ints([0])], [fout], { keepdims: 0 }) : undefined]),
  ]);
}

/** [C] as [C, 1, 1] for NCHW values, unchanged for [N, C] ones. */
export function perChannel(g: GraphBuilder, v: string, rank: number): string {
  const c = g.shape(v)[0] as number;
  return rank === 4 ? g.node('Reshape', [v, g.ints([c, 1, 1])], [c, 1, 1]) : v;
}

/** Axes every channel statistic reduces over. */
export function channelAxes(rank: number): number[] {
  return rank === 4 ? [0, 2, 3] : [0];
}

/** x * scale + shift per channel, scale and shift [C] values (either may be absent). */
export function affineValue(tape: Tape, x: string, scale: string | undefined, shift: string | undefined): string {
  const g = tape.graph;
  const shape = g.shape(x);
  const c = shape[1] as number;
  let y = x;
  const s = scale === undefined ? undefined : perChannel(g, scale, shape.length);
  if (s !== undefined) y = g.node('Mul', [y, s], shape);
  if (shift !== undefined) y = g.node('Add', [y, perChannel(g, shift, shape.length)], shape);
  const inputs = [x, ...(scale === undefined ? [] : [scale]), ...(shift === undefined ? [] : [shift])];
  return tape.record(inputs, y, (gy, needed) => {
    const out: (string | undefined)[] = [
      needed[0] ? (s === undefined ? gy : g.node('Mul', [gy, s], shape)) : undefined,
    ];
    if (scale !== undefined)
      out.push(
        needed[out.length]
          ? g.node('ReduceSum', [g.node('Mul', [gy, x], shape), g.ints(channelAxes(shape.length))], [c], {
              keepdims: 0,
            })
          : undefined,
      );
    if (shift !== undefined)
      out.push(
        needed[out.length]
          ? g.node('ReduceSum', [gy, g.ints(channelAxes(shape.length))], [c], { keepdims: 0 })
          : undefined,
      );
    return out;
  });
}
