/** Eval-mode BatchNorm as a per-channel scale and shift, and folded into the conv before it. */

const BN_EPS = 1e-5;

export interface BatchNormValues {
  readonly mean: Float32Array;
  readonly variance: Float32Array;
  /** Absent when the norm is not affine. */
  readonly gamma?: Float32Array;
  readonly beta?: Float32Array;
}

export interface ChannelAffine {
  readonly scale: Float32Array;
  readonly shift: Float32Array;
}

/** gamma (x - mean) / sqrt(var + eps) + beta = x * scale + shift. */
export function batchNormAffine(bn: BatchNormValues): ChannelAffine {
  const c = bn.mean.length;
  const scale = new Float32Array(c);
  const shift = new Float32Array(c);
  for (let i = 0; i < c; i++) {
    const s = (bn.gamma?.[i] ?? 1) / Math.sqrt((bn.variance[i] as number) + BN_EPS);
    scale[i] = s;
    shift[i] = (bn.beta?.[i] ?? 0) - (bn.mean[i] as number) * s;
  }
  return { scale, shift };
}

/**
 * conv(x, W) + b followed by the affine above is conv(x, W * scale) + (b * scale + shift): one
 * conv instead of a conv and two element-wise passes (Jacob et al., 2018, sec. 3.2, the standard
 * inference-time fold). `weight` is OIHW.
 */
export function foldIntoConv(
  weight: Float32Array,
  bias: Float32Array | undefined,
  affine: ChannelAffine,
): { weight: Float32Array; bias: Float32Array } {
  const out = affine.scale.length;
  const per = weight.length / out;
  const folded = new Float32Array(weight.length);
  const foldedBias = new Float32Array(out);
  for (let o = 0; o < out; o++) {
    const s = affine.scale[o] as number;
    for (let j = 0; j < per; j++) folded[o * per + j] = (weight[o * per + j] as number) * s;
    foldedBias[o] = (bias?.[o] ?? 0) * s + (affine.shift[o] as number);
  }
  return { weight: folded, bias: foldedBias };
}
