// The weight gradient of a conv whose weights are graph values, in the formulations measured fastest per shape.
import { convOutputSize } from './conv-ops';
import type { GraphBuilder, Shape } from './graph-builder';
import type { ConvGeometry } from './param-ops';

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
