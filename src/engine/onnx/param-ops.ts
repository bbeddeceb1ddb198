import { convOutputSize } from './conv-ops';
import { float, type GraphBuilder, type Shape } from './graph-builder';
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

/**
 * dW[o, i, a, b] = sum over n, y, x of gy[n, o, y, x] * xpad[n, i, y s + a d, x s + b d].
 *
 * Ungrouped: one GEMM per kernel tap, gy^T [K, N Ho Wo] times the tap's strided slice of the
 * padded input [C, N Ho Wo]^T, stacked into [K, C, kh, kw]. ORT runs these on its GEMM kernels
 * (measured 1.4-1.9x a forward conv's time for 3x3 convs), where the textbook formulation below
 * falls onto its generic conv path (3-4x). A 1x1 conv is a single GEMM. Where the Slices cost
 * most (strides, large maps), 'auto' builds the taps by a one-hot conv instead
 * (denseWeightGradientByIm2col; WEIGHT_GRADIENT says where).
 *
 * Grouped: the weight gradient as a conv of the input by the output gradient with the batch and
 * channel axes swapped (stride and dilation trade places; Dumoulin and Visin, 2016, sec. 4),
 * with the groups laid out so that one grouped Conv computes every group's gradient.
 */
export function convWeightGradient(
  g: GraphBuilder,
  x: string,
  gy: string,
  geo: ConvGeometry,
  weightShape: Shape,
): string {
  const [n, c, h, wd] = g.shape(x) as [number, number, number, number];
  const [o, ig, kh, kw] = weightShape as [number, number, number, number];
  const [, , ho, wo] = g.shape(gy) as [number, number, number, number];
  const [sh, sw] = geo.stride;
  const [dh, dw] = geo.dilation;
  const [ph, pw] = geo.padding;
  const groups = geo.groups;
  const im2col = kh * kw > 1 && kh * kw <= 9 && (sh > 1 || sw > 1 || ho * wo >= 1024);
  const batched = kh * kw === 1 && ph === 0 && pw === 0 && ho * wo >= 256;
  const dense = batched ? 'batched' : im2col ? 'im2col' : 'gemm';
  const kind =
    WEIGHT_GRADIENT === 'auto' ? (groups > 1 ? (sh > 1 || sw > 1 ? 'conv' : 'gemm') : dense) : WEIGHT_GRADIENT;
  if (kind === 'batched' && groups === 1) return denseWeightGradientBatched(g, x, gy, geo, weightShape);
  if (kind === 'im2col' && groups === 1) return denseWeightGradientByIm2col(g, x, gy, geo, weightShape);
  if (kind === 'gemm' && groups === 1) {
    const m = n * ho * wo;
    const gyT = g.node(
      'Reshape',
      [g.node('Transpose', [gy], [o, n, ho, wo], { perm: [1, 0, 2, 3] }), g.ints([o, m])],
      [o, m],
    );
    const padded = shared(g, `${x}|${ph},${pw}`, () => {
      const xT = shared(g, x, () => g.node('Transpose', [x], [c, n, h, wd], { perm: [1, 0, 2, 3] }));
      return ph > 0 || pw > 0
        ? g.node('Pad', [xT, g.ints([0, 0, ph, pw, 0, 0, ph, pw])], [c, n, h + 2 * ph, wd + 2 * pw])
        : xT;
    });
    const taps: string[] = [];
    for (let a = 0; a < kh; a++) {
      for (let b = 0; b < kw; b++) {
        const start = [a * dh, b * dw] as const;
        const whole =
          start[0] === 0 && start[1] === 0 && sh === 1 && sw === 1 && ho === h + 2 * ph && wo === wd + 2 * pw;
        const slice = whole
          ? padded
          : g.node(
              'Slice',
              [
                padded,
                g.ints(start),
                g.ints([start[0] + (ho - 1) * sh + 1, start[1] + (wo - 1) * sw + 1]),
                g.ints([2, 3]),
                g.ints([sh, sw]),
              ],
              [c, n, ho, wo],
            );
        const rows = g.node('Reshape', [slice, g.ints([c, m])], [c, m]);
        taps.push(g.node('Gemm', [gyT, rows], [o, c], { transB: 1 }));
      }
    }
    if (taps.length === 1) return g.node('Reshape', [taps[0] as string, g.ints([o, c, 1, 1])], [o, c, 1, 1]);
    const stacked = g.node(
      'Concat',
      taps.map((t) => g.node('Unsqueeze', [t, g.ints([2])], [o, c, 1])),
      [o, c, kh * kw],
      { axis: 2 },
    );
    return g.node('Reshape', [stacked, g.ints([o, c, kh, kw])], [o, c, kh, kw]);
  }
  if (kind === 'gemm' || kind === 'im2col') return groupedWeightGradientByMatMul(g, x, gy, geo, weightShape);
  // x [N, G*Ig, H, W] -> [Ig, G*N, H, W]: channel g*N + n of "image" i.
  const split = g.node('Reshape', [x, g.ints([n, groups, ig, h, wd])], [n, groups, ig, h, wd]);
  const xs = g.node(
    'Reshape',
    [g.node('Transpose', [split], [ig, groups, n, h, wd], { perm: [2, 1, 0, 3, 4] }), g.ints([ig, groups * n, h, wd])],
    [ig, groups * n, h, wd],
  );
  // gy [N, G*Og, Ho, Wo] -> kernel [G*Og, N, Ho, Wo]: out channel g*Og + o reads group g's N channels.
  const kernel = g.node('Transpose', [gy], [o, n, ho, wo], { perm: [1, 0, 2, 3] });
  const kh2 = convOutputSize(h, ho, dh, ph, sh);
  const kw2 = convOutputSize(wd, wo, dw, pw, sw);
  let out = g.node('Conv', [xs, kernel], [ig, o, kh2, kw2], {
    kernel_shape: [ho, wo],
    strides: [dh, dw],
    pads: [ph, pw, ph, pw],
    dilations: [sh, sw],
    group: groups,
  });
  // Strides that skip the last rows leave taps beyond the kernel: cut them.
  if (kh2 !== kh || kw2 !== kw)
    out = g.node('Slice', [out, g.ints([0, 0]), g.ints([kh, kw]), g.ints([2, 3])], [ig, o, kh, kw]);
  return g.node('Transpose', [out], [o, ig, kh, kw], { perm: [1, 0, 2, 3] });
}

const sharedValues = new WeakMap<GraphBuilder, Map<string, string>>();

/**
 * A value derived from others once per graph: the transposed (and padded) input of a conv's
 * weight gradient, which a block's first conv and its projection shortcut both need.
 */
function shared(g: GraphBuilder, key: string, make: () => string): string {
  let values = sharedValues.get(g);
  if (!values) sharedValues.set(g, (values = new Map()));
  let v = values.get(key);
  if (v === undefined) values.set(key, (v = make()));
  return v;
}

/**
 * Which formulation conv weight gradients use: GEMMs per kernel tap, the conv with swapped axes,
 * (dense convs only) an im2col by a constant one-hot conv and one batched MatMul, or one MatMul
 * per image on the activations as they are laid out. 'auto' picks per shape what measured faster
 * (ORT 1.30, AVX2, 2 threads, batch 16 and 64, 16-256 channels): for dense 1x1 convs with 16x16
 * outputs or more, the MatMul per image (1.2-2.9x the GEMM on transposed activations, which at 4x4
 * won by 2-8x); the im2col for dense convs of 2-9 taps with strides or outputs of 32x32 and more
 * (ORT's Slice copies each tap's strided rows on one thread, the one-hot conv makes every tap at
 * once on all threads: 1.3-5x faster there; at 8x8 and 16x16 with stride 1 it was 0.9-1.05x, and
 * larger kernels, whose one-hot conv costs taps multiply-adds per value, were not measured);
 * GEMMs for other dense convs and for grouped convs at stride 1 (1.6-1.8x faster than the
 * swapped conv); the swapped conv for grouped convs with strides, where the taps' strided slices
 * of the channels-last input made the GEMM route 1.6x slower. Settable for measurements and
 * tests ('gemm' keeps the per-tap GEMMs for dense convs too).
 */
let WEIGHT_GRADIENT: 'auto' | 'conv' | 'gemm' | 'im2col' | 'batched' = 'auto';

export function setWeightGradientFormulation(kind: 'auto' | 'conv' | 'gemm' | 'im2col' | 'batched'): void {
  WEIGHT_GRADIENT = kind;
}

/**
 * A dense conv's weight gradient from an im2col: a grouped Conv of the input with constant
 * one-hot kernels (group c, kh kw outputs each, the conv's own strides, padding and dilation)
 * gives col [N, C kh kw, Ho Wo], channel c kh kw + a kw + b holding tap (a, b) of channel c, the
 * positions in gy's order; then dW^T per image is col times gy^T [N, Ho Wo, K], summed over the
 * batch: [C kh kw, K], transposed and reshaped to [K, C, kh, kw].
 */
function denseWeightGradientByIm2col(
  g: GraphBuilder,
  x: string,
  gy: string,
  geo: ConvGeometry,
  weightShape: Shape,
): string {
  const [n, c] = g.shape(x) as [number, number];
  const [o, , kh, kw] = weightShape as [number, number, number, number];
  const [, , ho, wo] = g.shape(gy) as [number, number, number, number];
  const taps = kh * kw;
  const ct = c * taps;
  const k = ho * wo;
  const cols = g.node('Reshape', [oneHotPatches(g, x, geo, kh, kw, ho, wo), g.ints([n, ct, k])], [n, ct, k]);
  const gyT = g.node('Transpose', [g.node('Reshape', [gy, g.ints([n, o, k])], [n, o, k])], [n, k, o], {
    perm: [0, 2, 1],
  });
  const perImage = g.node('MatMul', [cols, gyT], [n, ct, o]);
  const summed = g.node('ReduceSum', [perImage, g.ints([0])], [ct, o], { keepdims: 0 });
  return g.node(
    'Reshape',
    [g.node('Transpose', [summed], [o, ct], { perm: [1, 0] }), g.ints([o, c, kh, kw])],
    [o, c, kh, kw],
  );
}

/**
 * A dense conv's weight gradient as one MatMul per image, summed over the batch: gy [N, O, P]
 * times the image's patches [N, P, C T] (T taps; a 1x1 conv's patches are its input, strided
 * by a Slice; a larger kernel's come from oneHotPatches),
 * [N, O, C T], then the sum over N is [O, C, kh, kw] as it stands. Both operands stay in the
 * activations' own NCHW order: no transpose of an activation-sized value.
 */
function denseWeightGradientBatched(
  g: GraphBuilder,
  x: string,
  gy: string,
  geo: ConvGeometry,
  weightShape: Shape,
): string {
  const [n, c, h, wd] = g.shape(x) as [number, number, number, number];
  const [o, , kh, kw] = weightShape as [number, number, number, number];
  const [, , ho, wo] = g.shape(gy) as [number, number, number, number];
  const taps = kh * kw;
  const k = ho * wo;
  const [sh, sw] = geo.stride;
  const [ph, pw] = geo.padding;
  let patches: string;
  if (taps === 1 && ph === 0 && pw === 0) {
    const strided =
      sh === 1 && sw === 1 && ho === h && wo === wd
        ? x
        : g.node(
            'Slice',
            [x, g.ints([0, 0]), g.ints([(ho - 1) * sh + 1, (wo - 1) * sw + 1]), g.ints([2, 3]), g.ints([sh, sw])],
            [n, c, ho, wo],
          );
    patches = g.node('Reshape', [strided, g.ints([n, c, k])], [n, c, k]);
  } else {
    patches = g.node('Reshape', [oneHotPatches(g, x, geo, kh, kw, ho, wo), g.ints([n, c * taps, k])], [n, c * taps, k]);
  }
  const rows = g.node('Transpose', [patches], [n, k, c * taps], { perm: [0, 2, 1] });
  const perImage = g.node('MatMul', [g.node('Reshape', [gy, g.ints([n, o, k])], [n, o, k]), rows], [n, o, c * taps]);
  const summed = g.node('ReduceSum', [perImage, g.ints([0])], [o, c * taps], { keepdims: 0 });
  return g.node('Reshape', [summed, g.ints([o, c, kh, kw])], [o, c, kh, kw]);
}

/** The taps of every position: [N, C kh kw, Ho, Wo], channel c kh kw + a kw + b holding tap (a, b) of channel c. */
function oneHotPatches(
  g: GraphBuilder,
  x: string,
  geo: ConvGeometry,
  kh: number,
  kw: number,
  ho: number,
  wo: number,
): string {
  const [n, c] = g.shape(x) as [number, number];
  const taps = kh * kw;
  const oneHot = new Float32Array(c * taps * taps);
  for (let ch = 0; ch < c; ch++) for (let t = 0; t < taps; t++) oneHot[(ch * taps + t) * taps + t] = 1;
  const [ph, pw] = geo.padding;
  return g.node('Conv', [x, g.constant(oneHot, [c * taps, 1, kh, kw], 'im2col')], [n, c * taps, ho, wo], {
    kernel_shape: [kh, kw],
    strides: geo.stride,
    pads: [ph, pw, ph, pw],
    dilations: geo.dilation,
    group: c,
  });
}

/**
 * A grouped conv's weight gradient as one batched MatMul per kernel tap, the groups the batch:
 * gy as [G, Og, N Ho Wo] times the tap's strided slice of the padded input laid out
 * [G, N Ho Wo, Ig], giving [G, Og, Ig] per tap, stacked into [G Og, Ig, kh, kw]. Two transposes
 * in all (input and output gradient), then GEMMs.
 */
function groupedWeightGradientByMatMul(
  g: GraphBuilder,
  x: string,
  gy: string,
  geo: ConvGeometry,
  weightShape: Shape,
): string {
  const [n, , h, wd] = g.shape(x) as [number, number, number, number];
  const [o, ig, kh, kw] = weightShape as [number, number, number, number];
  const [, , ho, wo] = g.shape(gy) as [number, number, number, number];
  const [sh, sw] = geo.stride;
  const [dh, dw] = geo.dilation;
  const [ph, pw] = geo.padding;
  const groups = geo.groups;
  const og = o / groups;
  const m = n * ho * wo;
  const gyG = g.node(
    'Reshape',
    [
      g.node(
        'Transpose',
        [g.node('Reshape', [gy, g.ints([n, groups, og, ho * wo])], [n, groups, og, ho * wo])],
        [groups, og, n, ho * wo],
        { perm: [1, 2, 0, 3] },
      ),
      g.ints([groups, og, m]),
    ],
    [groups, og, m],
  );
  const padded = shared(g, `${x}|g${groups}|${ph},${pw}`, () => {
    const split = g.node('Reshape', [x, g.ints([n, groups, ig, h, wd])], [n, groups, ig, h, wd]);
    const xg = g.node('Transpose', [split], [groups, n, h, wd, ig], { perm: [1, 0, 3, 4, 2] });
    return ph > 0 || pw > 0
      ? g.node('Pad', [xg, g.ints([0, 0, ph, pw, 0, 0, 0, ph, pw, 0])], [groups, n, h + 2 * ph, wd + 2 * pw, ig])
      : xg;
  });
  const taps: string[] = [];
  for (let a = 0; a < kh; a++) {
    for (let b = 0; b < kw; b++) {
      const start = [a * dh, b * dw] as const;
      const slice = g.node(
        'Slice',
        [
          padded,
          g.ints(start),
          g.ints([start[0] + (ho - 1) * sh + 1, start[1] + (wo - 1) * sw + 1]),
          g.ints([2, 3]),
          g.ints([sh, sw]),
        ],
        [groups, n, ho, wo, ig],
      );
      const rows = g.node('Reshape', [slice, g.ints([groups, m, ig])], [groups, m, ig]);
      taps.push(
        g.node('Unsqueeze', [g.node('MatMul', [gyG, rows], [groups, og, ig]), g.ints([3])], [groups, og, ig, 1]),
      );
    }
  }
  const stacked =
    taps.length === 1 ? (taps[0] as string) : g.node('Concat', taps, [groups, og, ig, kh * kw], { axis: 3 });
  return g.node('Reshape', [stacked, g.ints([o, ig, kh, kw])], [o, ig, kh, kw]);
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
function channelAxes(rank: number): number[] {
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

export const BN_EPS = 1e-5;
export const BN_MOMENTUM = 0.1;

/**
 * Training-mode BatchNorm (Ioffe and Szegedy, 2015): normalised with the batch's mean and biased
 * variance, and the running statistics moved by momentum 0.1 towards the batch mean and the
 * unbiased variance, as PyTorch (and build-forward.ts) do. The normalisation and the affine
 * transform are one tape entry written with the centred input c = x - mean, per-channel factors
 * r = 1/sqrt(var + eps) and a = gamma r, and M values per channel: y = c a + beta, and
 * dx = gy a - c a r^2 sum(gy c)/M - a sum(gy)/M, d gamma = r sum(gy c), d beta = sum(gy). Every
 * full-size pass counts here (element-wise ops are most of a training step's time in ORT), so
 * the normalised value is never materialised: about 12 passes over the activation where the
 * textbook chain of standardise, scale and shift takes 18.
 */
export function batchNormTrain(
  tape: Tape,
  x: string,
  gamma: string | undefined,
  beta: string | undefined,
  runningMean: string,
  runningVar: string,
): { y: string; runningMean: string; runningVar: string } {
  const g = tape.graph;
  const shape = g.shape(x);
  const c = shape[1] as number;
  const axes = channelAxes(shape.length);
  const reduced = shape.map((d, i) => (axes.includes(i) ? 1 : d));
  const count = shape.reduce((a, b) => a * b, 1) / c;
  const small = (op: string, ...inputs: string[]): string => g.node(op, inputs, reduced);
  const full = (op: string, ...inputs: string[]): string => g.node(op, inputs, shape);
  const sum = (v: string): string => g.node('ReduceSum', [v, g.ints(axes)], reduced, { keepdims: 1 });
  const flat = (v: string): string => g.node('Reshape', [v, g.ints([c])], [c]);
  const mean = g.node('ReduceMean', [x], reduced, { axes, keepdims: 1 });
  const centered = perChannelAffine(g, x, undefined, g.node('Neg', [flat(mean)], [c]));
  const variance = small('Mul', sum(full('Mul', centered, centered)), g.scalar(1 / count));
  const r = small('Reciprocal', small('Sqrt', small('Add', variance, g.scalar(BN_EPS))));
  const gammaC = gamma === undefined ? undefined : g.node('Reshape', [gamma, g.ints(reduced)], reduced);
  const a = gammaC === undefined ? r : small('Mul', gammaC, r);
  const y = perChannelAffine(g, centered, flat(a), beta);
  const inputs = [x, ...(gamma === undefined ? [] : [gamma]), ...(beta === undefined ? [] : [beta])];
  tape.record(inputs, y, (gy, needed) => {
    const sgy = sum(gy);
    const sgyc = sum(full('Mul', gy, centered));
    const out: (string | undefined)[] = [];
    if (needed[0]) {
      const b = small(
        'Neg',
        small('Mul', small('Mul', a, small('Mul', r, r)), small('Mul', sgyc, g.scalar(1 / count))),
      );
      const shift = small('Neg', small('Mul', a, small('Mul', sgy, g.scalar(1 / count))));
      out.push(full('Add', perChannelAffine(g, gy, flat(a), flat(shift)), full('Mul', centered, b)));
    } else {
      out.push(undefined);
    }
    if (gamma !== undefined) out.push(needed[out.length] ? flat(small('Mul', sgyc, r)) : undefined);
    if (beta !== undefined) out.push(needed[out.length] ? flat(sgy) : undefined);
    return out;
  });
  const flatten = flat;
  const unbiased = count / Math.max(1, count - 1);
  const newMean = g.node(
    'Add',
    [
      g.node('Mul', [runningMean, g.scalar(1 - BN_MOMENTUM)], [c]),
      g.node('Mul', [flatten(mean), g.scalar(BN_MOMENTUM)], [c]),
    ],
    [c],
  );
  const newVar = g.node(
    'Add',
    [
      g.node('Mul', [runningVar, g.scalar(1 - BN_MOMENTUM)], [c]),
      g.node('Mul', [flatten(variance), g.scalar(BN_MOMENTUM * unbiased)], [c]),
    ],
    [c],
  );
  return { y, runningMean: newMean, runningVar: newVar };
}

/**
 * x scale + shift per channel ([C] values, either absent) in one pass: ONNX's inference-mode
 * BatchNormalization with mean 0, variance 1 and epsilon 0. ORT's broadcasting Add and Sub of a
 * [1, C, 1, 1] value took 2-4x as long as this over the same activation.
 */
function perChannelAffine(g: GraphBuilder, x: string, scale: string | undefined, shift: string | undefined): string {
  const shape = g.shape(x);
  const c = shape[1] as number;
  const ones = g.constant(new Float32Array(c).fill(1), [c], 'ones');
  const zeros = g.constant(new Float32Array(c), [c], 'zeros');
  return g.node('BatchNormalization', [x, scale ?? ones, shift ?? zeros, zeros, ones], shape, { epsilon: float(0) });
}

/** Evaluation-mode BatchNorm from values: scale gamma / sqrt(var + eps) and shift beta - mean scale, each [C]. */
export function batchNormEvalAffine(
  g: GraphBuilder,
  gamma: string | undefined,
  beta: string | undefined,
  runningMean: string,
  runningVar: string,
): { scale: string; shift: string } {
  const c = g.shape(runningMean)[0] as number;
  const r = g.node('Reciprocal', [g.node('Sqrt', [g.node('Add', [runningVar, g.scalar(BN_EPS)], [c])], [c])], [c]);
  const scale = gamma === undefined ? r : g.node('Mul', [gamma, r], [c]);
  const shifted = g.node('Neg', [g.node('Mul', [runningMean, scale], [c])], [c]);
  return { scale, shift: beta === undefined ? shifted : g.node('Add', [shifted, beta], [c]) };
}

/**
 * Evaluation-mode BatchNorm folded into the conv before it, in the graph: W scale per output
 * channel and b scale + shift (the fold of fold-batch-norm.ts, on values).
 */
export function foldValues(
  g: GraphBuilder,
  w: string,
  b: string | undefined,
  affine: { scale: string; shift: string },
): { w: string; b: string } {
  const wShape = g.shape(w);
  const o = wShape[0] as number;
  const scaled = g.node('Mul', [w, g.node('Reshape', [affine.scale, g.ints([o, 1, 1, 1])], [o, 1, 1, 1])], wShape);
  const bias =
    b === undefined ? affine.shift : g.node('Add', [g.node('Mul', [b, affine.scale], [o]), affine.shift], [o]);
  return { w: scaled, b: bias };
}
