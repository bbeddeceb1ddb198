import { known, unknown, type Fact } from '../../ir/fact';
import { other } from '../../build/layers';
import type { SourceRange } from '../../ir/source';
import type { ModuleNode, PyValue } from './values';

/**
 * torch.nn classes the IR has no shape for (1-D and 3-D convolutions and norms, attention,
 * embeddings) and parameter-free ones (pools of any rank, padding, quantization stubs): each is
 * one leaf counted exactly by PyTorch's own formula, or unknown with the reason PyTorch would
 * refuse it (a size that is negative, channels not divisible by groups).
 */

export interface Signature {
  readonly params: readonly string[];
  readonly defaults: Readonly<Record<string, PyValue>>;
}

const T: PyValue = { kind: 'bool', value: true };
const F: PyValue = { kind: 'bool', value: false };
const NONE: PyValue = { kind: 'none' };
const n = (value: number): PyValue => ({ kind: 'number', value, isInt: Number.isInteger(value) });

const CONV = ['in_channels', 'out_channels', 'kernel_size', 'stride', 'padding', 'dilation', 'groups', 'bias'];
const CONV_T = [
  'in_channels',
  'out_channels',
  'kernel_size',
  'stride',
  'padding',
  'output_padding',
  'groups',
  'bias',
  'dilation',
];
const convDefaults = { stride: n(1), padding: n(0), dilation: n(1), groups: n(1), bias: T };
const NORM = ['num_features', 'eps', 'momentum', 'affine'];

export const COUNTED_SIGNATURES: Record<string, Signature> = {
  Conv1d: { params: CONV, defaults: convDefaults },
  Conv3d: { params: CONV, defaults: convDefaults },
  ConvTranspose1d: { params: CONV_T, defaults: convDefaults },
  ConvTranspose2d: { params: CONV_T, defaults: convDefaults },
  ConvTranspose3d: { params: CONV_T, defaults: convDefaults },
  BatchNorm3d: { params: NORM, defaults: { affine: T } },
  InstanceNorm1d: { params: NORM, defaults: { affine: F } },
  InstanceNorm3d: { params: NORM, defaults: { affine: F } },
  SyncBatchNorm: { params: NORM, defaults: { affine: T } },
  MultiheadAttention: {
    params: [
      'embed_dim',
      'num_heads',
      'dropout',
      'bias',
      'add_bias_kv',
      'add_zero_attn',
      'kdim',
      'vdim',
      'batch_first',
    ],
    defaults: { bias: T, add_bias_kv: F, kdim: NONE, vdim: NONE },
  },
  Embedding: { params: ['num_embeddings', 'embedding_dim'], defaults: {} },
  EmbeddingBag: { params: ['num_embeddings', 'embedding_dim'], defaults: {} },
  Bilinear: { params: ['in1_features', 'in2_features', 'out_features', 'bias'], defaults: { bias: T } },
};

/** Pooling, unpooling and padding layers in their 1d, 2d and 3d forms. */
const RANKED_FREE = [
  /^(Max|Avg|AdaptiveAvg|AdaptiveMax|LP|FractionalMax)Pool[123]d$/,
  /^MaxUnpool[123]d$/,
  /^(Constant|Reflection|Replication|Zero|Circular)Pad[123]d$/,
];
const FREE = new Set([
  'Dropout1d',
  'Dropout3d',
  'FeatureAlphaDropout',
  'QuantStub',
  'DeQuantStub',
  'FloatFunctional',
  'QFunctional',
  'LocalResponseNorm',
  'CrossMapLRN2d',
  'ChannelShuffle',
  'PixelUnshuffle',
  'Unflatten',
  'Fold',
  'Unfold',
  'CosineSimilarity',
  'PairwiseDistance',
  'UpsamplingNearest2d',
  'UpsamplingBilinear2d',
  'Softmax2d',
  'Softmin',
]);

export function isCountedLayerClass(name: string): boolean {
  return name in COUNTED_SIGNATURES || FREE.has(name) || RANKED_FREE.some((pattern) => pattern.test(name));
}

/** A positive integer as PyTorch's constructors need it, with the reason when it is not one. */
function size(value: PyValue | undefined, what: string, allowZero = false): Fact<number> {
  if (value?.kind === 'number' && value.isInt && (value.value > 0 || (allowZero && value.value === 0)))
    return known(value.value);
  if (value?.kind === 'number' && value.isInt) return unknown(`${what} is ${value.value}: PyTorch refuses it`);
  return unknown(`${what} is not statically known${value?.kind === 'unknown' ? ` (${value.reason})` : ''}`);
}

function flag(value: PyValue | undefined, what: string): Fact<boolean> {
  if (value?.kind === 'bool') return known(value.value);
  if (value?.kind === 'none') return known(false);
  if (value?.kind === 'number') return known(value.value !== 0);
  return unknown(`${what} is not statically known`);
}

/** A kernel size for an N-d layer: an int for every axis, or a tuple of N. */
function kernelVolume(value: PyValue | undefined, rank: number): Fact<number> {
  if (value?.kind === 'number')
    return size(value, 'kernel_size').known ? known(value.value ** rank) : size(value, 'kernel_size');
  if (value?.kind === 'list' && value.items.length === rank) {
    let volume = 1;
    for (const item of value.items) {
      const s = size(item, 'kernel_size');
      if (!s.known) return s;
      volume *= s.value;
    }
    return known(volume);
  }
  return unknown('kernel_size is not statically known');
}

/** Combines facts; the first unknown one gives the reason. */
function all(...facts: Fact<number | boolean>[]): string | undefined {
  for (const f of facts) if (!f.known) return f.reason;
  return undefined;
}

function checked(total: number): Fact<number> {
  return Number.isSafeInteger(total) ? known(total) : unknown('a parameter count past 2^53');
}

function countOf(className: string, args: Map<string, PyValue>): Fact<number> {
  const conv = /^Conv(Transpose)?([123])d$/.exec(className);
  if (conv) {
    const inC = size(args.get('in_channels'), 'in_channels');
    const outC = size(args.get('out_channels'), 'out_channels');
    const groups = size(args.get('groups'), 'groups');
    const volume = kernelVolume(args.get('kernel_size'), Number(conv[2]));
    const bias = flag(args.get('bias'), 'bias');
    const missing = all(inC, outC, groups, volume, bias);
    if (missing || !inC.known || !outC.known || !groups.known || !volume.known || !bias.known)
      return unknown(missing ?? '');
    if (inC.value % groups.value !== 0 || outC.value % groups.value !== 0)
      return unknown('channels not divisible by groups: PyTorch refuses it');
    // A transposed convolution's weight is (in, out / groups, *kernel); a convolution's (out, in / groups, *kernel).
    return checked(outC.value * (inC.value / groups.value) * volume.value + (bias.value ? outC.value : 0));
  }
  if (/Norm[13]d$|^SyncBatchNorm$/.test(className)) {
    const features = size(args.get('num_features'), 'num_features');
    const affine = flag(args.get('affine'), 'affine');
    if (!features.known || !affine.known) return unknown(all(features, affine) ?? '');
    return known(affine.value ? 2 * features.value : 0);
  }
  switch (className) {
    case 'MultiheadAttention':
      return attentionCount(args);
    case 'Embedding':
    case 'EmbeddingBag': {
      const rows = size(args.get('num_embeddings'), 'num_embeddings', true);
      const dim = size(args.get('embedding_dim'), 'embedding_dim', true);
      return rows.known && dim.known ? checked(rows.value * dim.value) : unknown(all(rows, dim) ?? '');
    }
    case 'Bilinear': {
      const [a, b, out] = ['in1_features', 'in2_features', 'out_features'].map((k) => size(args.get(k), k)) as [
        Fact<number>,
        Fact<number>,
        Fact<number>,
      ];
      const bias = flag(args.get('bias'), 'bias');
      if (!a.known || !b.known || !out.known || !bias.known) return unknown(all(a, b, out, bias) ?? '');
      return checked(out.value * a.value * b.value + (bias.value ? out.value : 0));
    }
    default:
      return known(0);
  }
}

/**
 * nn.MultiheadAttention: in_proj_weight (3E x E) when keys and values have the embedding's width,
 * else q/k/v_proj_weight (E x E, E x kdim, E x vdim); in_proj_bias (3E) and out_proj's bias (E)
 * when bias; out_proj's weight (E x E); bias_k and bias_v (E each) when add_bias_kv.
 */
function attentionCount(args: Map<string, PyValue>): Fact<number> {
  const embed = size(args.get('embed_dim'), 'embed_dim');
  const heads = size(args.get('num_heads'), 'num_heads');
  const bias = flag(args.get('bias'), 'bias');
  const biasKv = flag(args.get('add_bias_kv'), 'add_bias_kv');
  const dimOf = (key: string): Fact<number> =>
    args.get(key)?.kind === 'none' || !args.has(key) ? embed : size(args.get(key), key);
  const kdim = dimOf('kdim');
  const vdim = dimOf('vdim');
  if (!embed.known || !heads.known || !bias.known || !biasKv.known || !kdim.known || !vdim.known) {
    return unknown(all(embed, heads, bias, biasKv, kdim, vdim) ?? '');
  }
  const e = embed.value;
  if (e % heads.value !== 0) return unknown('embed_dim is not divisible by num_heads: PyTorch refuses it');
  const projections = e * e + e * kdim.value + e * vdim.value;
  return checked(projections + (bias.value ? 3 * e + e : 0) + e * e + (biasKv.value ? 2 * e : 0));
}

export function buildCountedLayer(
  className: string,
  args: Map<string, PyValue>,
  source: SourceRange | undefined,
): ModuleNode | undefined {
  if (!isCountedLayerClass(className)) return undefined;
  const layer = { ...other({ name: '', className, source }), params: countOf(className, args) };
  return { className, layer, children: new Map(), attributes: new Map(), source };
}
