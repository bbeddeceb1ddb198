import { known, unknown, type Fact } from '../../ir/fact';
import type { ActivationFunction, Layer, NormKind, Pair } from '../../ir/layers';
import type { SourceRange } from '../../ir/source';
import { activation, conv, linear, norm, other, pool, identity, flatten } from '../../build/layers';
import { activationClass, normClass } from '../robarch-hydra/class-paths';
import { NONE, type ModuleNode, type PyValue } from './values';
import { buildCountedLayer, COUNTED_SIGNATURES, isCountedLayerClass, type Signature } from './torch-counted-layers';
import { isRecurrentClass } from './torch-recurrent-layers';
import { isTransformerClass } from './torch-transformer-layers';

/**
 * torch.nn (and torchvision.ops) classes the static front end builds, with PyTorch's
 * constructor signatures so positional and keyword arguments bind as Python binds them.
 */

type Args = Map<string, PyValue>;

const T: PyValue = { kind: 'bool', value: true };
const F: PyValue = { kind: 'bool', value: false };
const n = (value: number): PyValue => ({ kind: 'number', value, isInt: Number.isInteger(value) });

const SIGNATURES: Record<string, Signature> = {
  Conv2d: {
    params: ['in_channels', 'out_channels', 'kernel_size', 'stride', 'padding', 'dilation', 'groups', 'bias'],
    defaults: { stride: n(1), padding: n(0), dilation: n(1), groups: n(1), bias: T },
  },
  Linear: { params: ['in_features', 'out_features', 'bias'], defaults: { bias: T } },
  BatchNorm2d: { params: ['num_features', 'eps', 'momentum', 'affine'], defaults: { affine: T } },
  BatchNorm1d: { params: ['num_features', 'eps', 'momentum', 'affine'], defaults: { affine: T } },
  InstanceNorm2d: { params: ['num_features', 'eps', 'momentum', 'affine'], defaults: { affine: F } },
  LayerNorm: {
    params: ['normalized_shape', 'eps', 'elementwise_affine', 'bias'],
    defaults: { elementwise_affine: T, bias: T },
  },
  GroupNorm: { params: ['num_groups', 'num_channels', 'eps', 'affine'], defaults: { affine: T } },
  PReLU: { params: ['num_parameters', 'init'], defaults: { num_parameters: n(1) } },
  MaxPool2d: { params: ['kernel_size', 'stride', 'padding'], defaults: { stride: NONE, padding: n(0) } },
  AvgPool2d: { params: ['kernel_size', 'stride', 'padding'], defaults: { stride: NONE, padding: n(0) } },
  AdaptiveAvgPool2d: { params: ['output_size'], defaults: {} },
  AdaptiveMaxPool2d: { params: ['output_size'], defaults: {} },
  SqueezeExcitation: { params: ['input_channels', 'squeeze_channels', 'activation', 'scale_activation'], defaults: {} },
  Conv2dNormActivation: {
    params: [
      'in_channels',
      'out_channels',
      'kernel_size',
      'stride',
      'padding',
      'groups',
      'norm_layer',
      'activation_layer',
      'dilation',
      'inplace',
      'bias',
    ],
    defaults: { kernel_size: n(3), stride: n(1), padding: NONE, groups: n(1), dilation: n(1), bias: NONE },
  },
};

/** torchvision.ops' StochasticDepth and Permute hold no parameters either. */
const PARAMETER_FREE = new Set([
  'Dropout',
  'Dropout2d',
  'AlphaDropout',
  'Upsample',
  'Softmax',
  'LogSoftmax',
  'ZeroPad2d',
  'PixelShuffle',
  'StochasticDepth',
  'Permute',
]);

export function bindArguments(className: string, positional: readonly PyValue[], keywords: Args): Args {
  const signature = SIGNATURES[className] ?? COUNTED_SIGNATURES[className];
  const bound: Args = new Map();
  if (!signature) {
    for (const [k, v] of keywords) bound.set(k, v);
    return bound;
  }
  positional.forEach((value, i) => {
    const name = signature.params[i];
    if (name) bound.set(name, value);
  });
  for (const [k, v] of keywords) bound.set(k, v);
  for (const [k, v] of Object.entries(signature.defaults)) if (!bound.has(k)) bound.set(k, v);
  return bound;
}

function describe(value: PyValue | undefined): string {
  if (!value) return 'missing';
  return value.kind === 'unknown' ? value.reason : `a ${value.kind}`;
}

export function intFact(value: PyValue | undefined, what: string): Fact<number> {
  if (value?.kind === 'number' && value.isInt) return known(value.value);
  if (value?.kind === 'bool') return known(value.value ? 1 : 0);
  // out_planes / 4 is a float in Python 3 even when whole: PyTorch refuses it as a size.
  if (value?.kind === 'number') {
    const written = Number.isInteger(value.value) ? value.value.toFixed(1) : String(value.value);
    return unknown(`${what} is ${written}, a float where PyTorch needs an int`);
  }
  return unknown(`${what} is not statically known (${describe(value)})`);
}

/** A size PyTorch accepts: a non-negative integer. */
function sizeFact(value: PyValue | undefined, what: string): Fact<number> {
  const fact = intFact(value, what);
  return fact.known && fact.value < 0 ? unknown(`${what} is ${fact.value}: PyTorch refuses a negative size`) : fact;
}

function pairFact(value: PyValue | undefined, what: string): Fact<Pair> {
  if (value?.kind === 'number') return known([value.value, value.value]);
  if (value?.kind === 'list' && value.items.length === 2 && value.items.every((v) => v.kind === 'number')) {
    const [a, b] = value.items as { value: number }[];
    return known([a?.value ?? 0, b?.value ?? 0]);
  }
  return unknown(`${what} is not statically known (${describe(value)})`);
}

function boolFact(value: PyValue | undefined, what: string): Fact<boolean> {
  if (value?.kind === 'bool') return known(value.value);
  if (value?.kind === 'none') return known(false);
  if (value?.kind === 'number') return known(value.value !== 0);
  return unknown(`${what} is not statically known (${describe(value)})`);
}

// Looked up for every layer the evaluator builds: memoised by class name.
const activationByName = new Map<string, ActivationFunction | 'identity' | undefined>();
const normByName = new Map<string, NormKind | 'identity' | undefined>();

export function torchActivation(name: string): ActivationFunction | 'identity' | undefined {
  if (!activationByName.has(name)) {
    const result = activationClass(`torch.nn.${name}`);
    activationByName.set(name, typeof result === 'string' ? result : undefined);
  }
  return activationByName.get(name);
}

export function torchNorm(name: string): NormKind | 'identity' | undefined {
  if (!normByName.has(name)) {
    const result = name === 'BatchNorm1d' ? 'batch' : name === 'GroupNorm' ? 'group' : normClass(`torch.nn.${name}`);
    normByName.set(name, typeof result === 'string' ? result : undefined);
  }
  return normByName.get(name);
}

export function isTorchLayerClass(name: string): boolean {
  return (
    name in SIGNATURES ||
    torchActivation(name) !== undefined ||
    torchNorm(name) !== undefined ||
    PARAMETER_FREE.has(name) ||
    name === 'Flatten' ||
    name === 'Identity' ||
    isCountedLayerClass(name) ||
    isRecurrentClass(name) ||
    isTransformerClass(name)
  );
}

function leaf(className: string, layer: Layer, source: SourceRange | undefined): ModuleNode {
  return { className, layer, children: new Map(), attributes: new Map(), source };
}

/** A torch.nn leaf module (conv, norm, activation, pool, linear...), or undefined for a container class. */
export function buildTorchLayer(
  className: string,
  args: Args,
  source: SourceRange | undefined,
): ModuleNode | undefined {
  const at = { name: '', source };
  switch (className) {
    case 'Conv2d':
      return leaf(
        className,
        conv({
          ...at,
          inChannels: intFact(args.get('in_channels'), 'in_channels'),
          outChannels: intFact(args.get('out_channels'), 'out_channels'),
          kernel: pairFact(args.get('kernel_size'), 'kernel_size'),
          stride: pairFact(args.get('stride'), 'stride'),
          padding:
            args.get('padding')?.kind === 'string'
              ? unknown('padding given as a string')
              : pairFact(args.get('padding'), 'padding'),
          dilation: pairFact(args.get('dilation'), 'dilation'),
          groups: intFact(args.get('groups'), 'groups'),
          bias: boolFact(args.get('bias'), 'bias'),
        }),
        source,
      );
    case 'Linear':
      return leaf(
        className,
        linear({
          ...at,
          inFeatures: intFact(args.get('in_features'), 'in_features'),
          outFeatures: intFact(args.get('out_features'), 'out_features'),
          bias: boolFact(args.get('bias'), 'bias'),
        }),
        source,
      );
    case 'LayerNorm': {
      const shape = args.get('normalized_shape');
      const channels =
        shape?.kind === 'list'
          ? shape.items.length === 1
            ? intFact(shape.items[0], 'normalized_shape')
            : unknown<number>('LayerNorm over several dimensions')
          : intFact(shape, 'normalized_shape');
      const affine = boolFact(args.get('elementwise_affine'), 'elementwise_affine');
      const made = norm({ ...at, norm: 'layer', channels, affine });
      // bias=False (PyTorch 2.1+) keeps the weight only; 1.13 has no such argument: the count depends on the version.
      const bias = boolFact(args.get('bias'), 'bias');
      if (affine.known && affine.value && !(bias.known && bias.value)) {
        const why = bias.known ? 'LayerNorm(bias=False) is counted differently by PyTorch versions' : bias.reason;
        return leaf(className, { ...made, params: unknown(why) }, source);
      }
      return leaf(className, made, source);
    }
    case 'GroupNorm':
      return leaf(
        className,
        norm({
          ...at,
          norm: 'group',
          channels: intFact(args.get('num_channels'), 'num_channels'),
          affine: boolFact(args.get('affine'), 'affine'),
          groups: intFact(args.get('num_groups'), 'num_groups'),
        }),
        source,
      );
    case 'PReLU':
      return leaf(
        className,
        activation({ ...at, fn: 'prelu', learnedCount: sizeFact(args.get('num_parameters'), 'num_parameters') }),
        source,
      );
    case 'MaxPool2d':
    case 'AvgPool2d': {
      const kernel = pairFact(args.get('kernel_size'), 'kernel_size');
      const stride = args.get('stride')?.kind === 'none' ? kernel : pairFact(args.get('stride'), 'stride');
      return leaf(
        className,
        pool({
          ...at,
          pool: className === 'MaxPool2d' ? 'max' : 'avg',
          kernel,
          stride,
          padding: pairFact(args.get('padding'), 'padding'),
        }),
        source,
      );
    }
    case 'AdaptiveAvgPool2d':
    case 'AdaptiveMaxPool2d': {
      const size = pairFact(args.get('output_size'), 'output_size');
      return leaf(
        className,
        pool({
          ...at,
          pool: className === 'AdaptiveMaxPool2d' ? 'max' : 'avg',
          outputSize: size.known ? size.value : [1, 1],
        }),
        source,
      );
    }
    case 'Identity':
      return leaf(className, identity(at), source);
    case 'Flatten':
      return leaf(className, flatten(at), source);
    default:
      break;
  }
  const normKind = torchNorm(className);
  if (normKind && normKind !== 'identity') {
    return leaf(
      className,
      norm({
        ...at,
        norm: normKind,
        channels: intFact(args.get('num_features'), 'num_features'),
        affine: boolFact(args.get('affine'), 'affine'),
      }),
      source,
    );
  }
  const fn = torchActivation(className);
  if (fn && fn !== 'identity') return leaf(className, activation({ ...at, fn }), source);
  if (PARAMETER_FREE.has(className)) return leaf(className, other({ ...at, className }), source);
  return buildCountedLayer(className, args, source);
}
