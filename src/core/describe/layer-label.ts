import type { Fact } from '../ir/fact';
import type { ActivationFunction, Layer, NormKind, Pair } from '../ir/layers';

/** PyTorch's class name and arguments for a layer, the way people recognise it in a table or hover. */

const NORM_CLASS: Record<NormKind, string> = {
  batch: 'BatchNorm2d',
  instance: 'InstanceNorm2d',
  layer: 'LayerNorm',
  group: 'GroupNorm',
};

const ACTIVATION_CLASS: Record<ActivationFunction, string> = {
  relu: 'ReLU',
  relu6: 'ReLU6',
  'leaky-relu': 'LeakyReLU',
  elu: 'ELU',
  silu: 'SiLU',
  gelu: 'GELU',
  mish: 'Mish',
  hardswish: 'Hardswish',
  sigmoid: 'Sigmoid',
  tanh: 'Tanh',
  softplus: 'Softplus',
  prelu: 'PReLU',
  psilu: 'PSiLU',
  pssilu: 'PSSiLU',
};

export function activationClassName(fn: ActivationFunction | null): string {
  return fn ? ACTIVATION_CLASS[fn] : 'Identity';
}

export function normClassName(kind: NormKind): string {
  return NORM_CLASS[kind];
}

function show(fact: Fact<number>): string {
  return fact.known ? String(fact.value) : '?';
}

function showPair(fact: Fact<Pair>, prefix: string, skip?: number): string | undefined {
  if (!fact.known) return `${prefix}?`;
  const [a, b] = fact.value;
  if (a === b && a === skip) return undefined;
  return a === b ? `${prefix}${a}` : `${prefix}${a}x${b}`;
}

export function layerLabel(layer: Layer): string {
  switch (layer.kind) {
    case 'conv': {
      const parts = [
        `${show(layer.inChannels)}->${show(layer.outChannels)}`,
        showPair(layer.kernel, 'k'),
        showPair(layer.stride, 's', 1),
        showPair(layer.dilation, 'd', 1),
        layer.groups.known && layer.groups.value === 1 ? undefined : `g${show(layer.groups)}`,
        layer.bias.known && layer.bias.value ? 'bias' : undefined,
      ].filter((p) => p !== undefined);
      return `Conv2d(${parts.join(', ')})`;
    }
    case 'linear':
      return `Linear(${show(layer.inFeatures)}->${show(layer.outFeatures)})`;
    case 'norm':
      return `${NORM_CLASS[layer.norm]}(${show(layer.channels)})`;
    case 'activation':
      return ACTIVATION_CLASS[layer.fn];
    case 'pool':
      if (layer.outputSize)
        return `Adaptive${layer.pool === 'max' ? 'Max' : 'Avg'}Pool2d(${layer.outputSize.join('x')})`;
      return `${layer.pool === 'max' ? 'MaxPool2d' : 'AvgPool2d'}(${[
        showPair(layer.kernel, 'k'),
        showPair(layer.stride, 's', 1),
      ]
        .filter(Boolean)
        .join(', ')})`;
    case 'se':
      return (
        `SqueezeExcitation(${show(layer.channels)}->${show(layer.squeezeChannels)}, ` +
        `${activationClassName(layer.activation)})`
      );
    case 'identity':
      return 'Identity';
    case 'flatten':
      return 'Flatten';
    case 'other':
      return layer.className;
  }
}
