import { known, unknown, type Fact } from '../../ir/fact';
import { other } from '../../build/layers';
import type { SourceRange } from '../../ir/source';
import { buildCountedLayer } from './torch-counted-layers';
import { hasIncomplete } from './module-tree';
import { bindStrict, type StrictSignature } from './torch-strict-binding';
import { NONE, type ModuleNode, type PyValue } from './values';

/**
 * nn.TransformerEncoderLayer, nn.TransformerDecoderLayer, nn.TransformerEncoder/Decoder and
 * nn.Transformer as PyTorch 1.13 builds them (torch/nn/modules/transformer.py): the same named
 * modules (self_attn, linear1, norm1..., layers.0...), each counted exactly. The pieces a layer
 * makes itself are `other` leaves (no rule edits them, the engine refuses them by name); the
 * modules a user passes in (an encoder layer of their own, a norm, an activation module) are
 * kept as they are, deep-copied where PyTorch deep-copies them.
 */

const T: PyValue = { kind: 'bool', value: true };
const F: PyValue = { kind: 'bool', value: false };
const int = (value: number): PyValue => ({ kind: 'number', value, isInt: true });
const float = (value: number): PyValue => ({ kind: 'number', value, isInt: false });
const RELU: PyValue = { kind: 'namespace', path: 'torch.nn.functional.relu' };

const LAYER: StrictSignature = {
  params: [
    'd_model',
    'nhead',
    'dim_feedforward',
    'dropout',
    'activation',
    'layer_norm_eps',
    'batch_first',
    'norm_first',
    'device',
    'dtype',
  ],
  required: 2,
  defaults: {
    dim_feedforward: int(2048),
    dropout: float(0.1),
    activation: RELU,
    layer_norm_eps: float(1e-5),
    batch_first: F,
    norm_first: F,
    device: NONE,
    dtype: NONE,
  },
};

const SIGNATURES: Record<string, StrictSignature> = {
  TransformerEncoderLayer: LAYER,
  TransformerDecoderLayer: LAYER,
  TransformerEncoder: {
    params: ['encoder_layer', 'num_layers', 'norm', 'enable_nested_tensor', 'mask_check'],
    required: 2,
    defaults: { norm: NONE, enable_nested_tensor: T, mask_check: T },
  },
  TransformerDecoder: { params: ['decoder_layer', 'num_layers', 'norm'], required: 2, defaults: { norm: NONE } },
  Transformer: {
    params: [
      'd_model',
      'nhead',
      'num_encoder_layers',
      'num_decoder_layers',
      'dim_feedforward',
      'dropout',
      'activation',
      'custom_encoder',
      'custom_decoder',
      'layer_norm_eps',
      'batch_first',
      'norm_first',
      'device',
      'dtype',
    ],
    required: 0,
    defaults: {
      d_model: int(512),
      nhead: int(8),
      num_encoder_layers: int(6),
      num_decoder_layers: int(6),
      dim_feedforward: int(2048),
      dropout: float(0.1),
      activation: RELU,
      custom_encoder: NONE,
      custom_decoder: NONE,
      layer_norm_eps: float(1e-5),
      batch_first: F,
      norm_first: F,
      device: NONE,
      dtype: NONE,
    },
  },
};

export function isTransformerClass(name: string): boolean {
  return name in SIGNATURES;
}

export interface TransformerContext {
  readonly source: SourceRange | undefined;
  /** `copy.deepcopy(module)` `times` times, within the evaluator's budget of layers. */
  readonly copies: (module: ModuleNode, times: number) => ModuleNode[];
}

type Args = Map<string, PyValue>;

function node(className: string, source: SourceRange | undefined, incomplete?: string): ModuleNode {
  return { className, children: new Map(), attributes: new Map(), source, ...(incomplete ? { incomplete } : {}) };
}

function piece(className: string, params: number, source: SourceRange | undefined): ModuleNode {
  const count = Number.isSafeInteger(params) ? known(params) : unknown<number>('a parameter count past 2^53');
  const layer = { ...other({ name: '', className, source }), params: count };
  return { className, layer, children: new Map(), attributes: new Map(), source };
}

function sizeArg(value: PyValue | undefined, what: string, min: number): Fact<number> {
  if (value?.kind === 'number' && value.isInt)
    return value.value >= min ? known(value.value) : unknown(`${what} is ${value.value}: PyTorch refuses it`);
  if (value?.kind === 'number') return unknown(`${what} is ${value.value}, a float where PyTorch needs an int`);
  const why = value?.kind === 'unknown' ? ` (${value.reason})` : value ? ` (a ${value.kind})` : '';
  return unknown(`${what} is not statically known${why}`);
}

/**
 * What `self.activation = activation` registers: a module passed in (its parameters count), or
 * nothing for a function, a class, or 'relu'/'gelu'. A value not known may be a module holding
 * parameters: the layer is then incomplete.
 */
function activationProblem(value: PyValue | undefined): string | undefined {
  if (!value) return undefined;
  if (value.kind === 'string')
    return value.value === 'relu' || value.value === 'gelu'
      ? undefined
      : `activation should be relu/gelu, not ${value.value}: PyTorch refuses it`;
  // A name from a module not read (a namespace outside torch) may be anything, a module too.
  if (value.kind === 'unknown' || (value.kind === 'namespace' && !value.path.startsWith('torch.')))
    return `the activation is not statically known (${value.kind === 'unknown' ? value.reason : value.path})`;
  return undefined;
}

/** nn.Dropout(p) checks 0 <= p <= 1 (a bool compares as 0 or 1); a p not known changes no count. */
function dropoutProblem(value: PyValue | undefined): string | undefined {
  if (!value || value.kind === 'unknown') return undefined;
  const p = value.kind === 'number' ? value.value : value.kind === 'bool' ? Number(value.value) : undefined;
  return p !== undefined && p >= 0 && p <= 1 ? undefined : 'dropout should be in [0, 1]: PyTorch refuses it';
}

/**
 * An encoder layer: self_attn, linear1, dropout, linear2, norm1, norm2, dropout1, dropout2 (and
 * activation when a module); a decoder layer adds multihead_attn, norm3 and dropout3, in
 * PyTorch's order of registration.
 */
function transformerLayer(className: string, args: Args, source: SourceRange | undefined): ModuleNode {
  const decoder = className === 'TransformerDecoderLayer';
  const d = sizeArg(args.get('d_model'), 'd_model', 1);
  const heads = sizeArg(args.get('nhead'), 'nhead', 1);
  const feedforward = sizeArg(args.get('dim_feedforward'), 'dim_feedforward', 0);
  if (!d.known || !heads.known || !feedforward.known) {
    const first = [d, heads, feedforward].find((f) => !f.known);
    return node(className, source, first && !first.known ? first.reason : 'not statically known');
  }
  if (d.value % heads.value !== 0)
    return node(className, source, 'd_model is not divisible by nhead: PyTorch refuses it');
  const problem = dropoutProblem(args.get('dropout')) ?? activationProblem(args.get('activation'));
  if (problem) return node(className, source, problem);
  const e = d.value;
  const ff = feedforward.value;
  const made = node(className, source);
  const attention = (): ModuleNode => {
    const attentionArgs = new Map<string, PyValue>([
      ['embed_dim', int(e)],
      ['num_heads', int(heads.value)],
      ['bias', T],
      ['add_bias_kv', F],
      ['kdim', NONE],
      ['vdim', NONE],
    ]);
    return buildCountedLayer('MultiheadAttention', attentionArgs, source) ?? piece('MultiheadAttention', 0, source);
  };
  const add = (name: string, module: ModuleNode): void => void made.children.set(name, module);
  add('self_attn', attention());
  if (decoder) add('multihead_attn', attention());
  add('linear1', piece('Linear', e * ff + ff, source));
  add('dropout', piece('Dropout', 0, source));
  add('linear2', piece('Linear', ff * e + e, source));
  for (const norm of decoder ? ['norm1', 'norm2', 'norm3'] : ['norm1', 'norm2'])
    add(norm, piece('LayerNorm', 2 * e, source));
  for (const drop of decoder ? ['dropout1', 'dropout2', 'dropout3'] : ['dropout1', 'dropout2'])
    add(drop, piece('Dropout', 0, source));
  const activation = args.get('activation');
  if (activation?.kind === 'module') add('activation', activation.module);
  return made;
}

/** TransformerEncoder/Decoder: `layers`, a ModuleList of num_layers deep copies of the layer, then `norm`. */
function stack(
  className: string,
  layer: PyValue | undefined,
  layers: PyValue | undefined,
  norm: PyValue | undefined,
  context: TransformerContext,
): ModuleNode {
  const { source } = context;
  if (layer?.kind !== 'module') {
    const why = layer?.kind === 'unknown' ? layer.reason : `a ${layer?.kind ?? 'missing value'}`;
    return node(className, source, `its layer is not a module statically known (${why})`);
  }
  // range(num_layers): no copies when it is 0 or less; a float is refused.
  const count = sizeArg(layers, 'num_layers', Number.MIN_SAFE_INTEGER);
  if (!count.known) return node(className, source, count.reason);
  const made = node(className, source);
  // PyTorch built the layer before copying it: one it would refuse is refused even with no copies.
  if (count.value <= 0 && hasIncomplete(layer.module))
    made.incomplete = `its layer is not statically known (${layer.module.incomplete ?? 'a part of it'})`;
  const list = node('ModuleList', source);
  context.copies(layer.module, Math.max(0, count.value)).forEach((copy, i) => list.children.set(String(i), copy));
  made.children.set('layers', list);
  if (norm?.kind === 'module') made.children.set('norm', norm.module);
  else if (norm?.kind === 'unknown' || norm?.kind === 'namespace')
    made.incomplete = `its norm is not statically known (${norm.kind === 'unknown' ? norm.reason : norm.path})`;
  return made;
}

/** nn.Transformer: an encoder and a decoder of copies of one layer each, each with a final LayerNorm. */
function transformer(args: Args, context: TransformerContext): ModuleNode {
  const { source } = context;
  const made = node('Transformer', source);
  const half = (
    which: 'encoder' | 'decoder',
    custom: PyValue | undefined,
    layerClass: string,
    depth: PyValue | undefined,
  ): void => {
    if (custom && custom.kind !== 'none') {
      if (custom.kind === 'module') made.children.set(which, custom.module);
      else if (custom.kind === 'unknown' || custom.kind === 'namespace')
        made.incomplete ??= `custom_${which} is not statically known`;
      return;
    }
    const layer = transformerLayer(layerClass, args, source);
    const d = args.get('d_model');
    const norm = d?.kind === 'number' && d.isInt && d.value > 0 ? piece('LayerNorm', 2 * d.value, source) : undefined;
    const stackClass = which === 'encoder' ? 'TransformerEncoder' : 'TransformerDecoder';
    const built = stack(
      stackClass,
      { kind: 'module', module: layer },
      depth,
      norm ? { kind: 'module', module: norm } : NONE,
      context,
    );
    made.children.set(which, built);
  };
  half('encoder', args.get('custom_encoder'), 'TransformerEncoderLayer', args.get('num_encoder_layers'));
  half('decoder', args.get('custom_decoder'), 'TransformerDecoderLayer', args.get('num_decoder_layers'));
  return made;
}

/** The module PyTorch builds for one of these classes, or undefined for any other class. */
export function buildTransformerModule(
  className: string,
  positional: readonly PyValue[],
  keywords: ReadonlyMap<string, PyValue>,
  context: TransformerContext,
): ModuleNode | undefined {
  const signature = SIGNATURES[className];
  if (!signature) return undefined;
  const bound = bindStrict(className, signature, positional, keywords);
  if (!bound.ok) return node(className, context.source, bound.reason);
  const args = bound.args;
  switch (className) {
    case 'TransformerEncoderLayer':
    case 'TransformerDecoderLayer':
      return transformerLayer(className, args, context.source);
    case 'TransformerEncoder':
      return stack(className, args.get('encoder_layer'), args.get('num_layers'), args.get('norm'), context);
    case 'TransformerDecoder':
      return stack(className, args.get('decoder_layer'), args.get('num_layers'), args.get('norm'), context);
    default:
      return transformer(args, context);
  }
}
