import { known, type Fact } from '../ir/fact';
import {
  PARAMETRIC_ACTIVATIONS,
  type ActivationFunction,
  type ActivationLayer,
  type ConvLayer,
  type FlattenLayer,
  type IdentityLayer,
  type LinearLayer,
  type NormKind,
  type NormLayer,
  type OtherLayer,
  type Pair,
  type PoolLayer,
  type SqueezeExcitationLayer,
} from '../ir/layers';
import type { SourceRange } from '../ir/source';
import {
  convParams,
  defaultLearnedCount,
  linearParams,
  normParams,
  squeezeExcitationParams,
} from '../params/layer-params';

/**
 * Constructors for IR layers. Each accepts plain values or facts and computes the layer's
 * parameter count, so no front end counts parameters by itself.
 */

export type FactOr<T> = T | Fact<T>;

function isFact<T>(value: FactOr<T>): value is Fact<T> {
  return (
    typeof value === 'object' &&
    value !== null &&
    'known' in value &&
    typeof (value as { known: unknown }).known === 'boolean' &&
    ('value' in value || 'reason' in value)
  );
}

function fact<T>(value: FactOr<T>): Fact<T> {
  return isFact(value) ? value : known(value);
}

function pair(value: FactOr<number | Pair>): Fact<Pair> {
  const f = fact(value);
  if (!f.known) return f;
  return known(typeof f.value === 'number' ? ([f.value, f.value] as const) : f.value);
}

interface Named {
  name: string;
  source?: SourceRange;
}

export function conv(
  spec: Named & {
    inChannels: FactOr<number>;
    outChannels: FactOr<number>;
    kernel: FactOr<number | Pair>;
    stride?: FactOr<number | Pair>;
    padding?: FactOr<number | Pair>;
    dilation?: FactOr<number | Pair>;
    groups?: FactOr<number>;
    bias: FactOr<boolean>;
  },
): ConvLayer {
  const inChannels = fact(spec.inChannels);
  const outChannels = fact(spec.outChannels);
  const kernel = pair(spec.kernel);
  const groups = fact(spec.groups ?? 1);
  const bias = fact(spec.bias);
  return {
    kind: 'conv',
    name: spec.name,
    source: spec.source,
    inChannels,
    outChannels,
    kernel,
    stride: pair(spec.stride ?? 1),
    padding: pair(spec.padding ?? 0),
    dilation: pair(spec.dilation ?? 1),
    groups,
    bias,
    params: convParams(inChannels, outChannels, kernel, groups, bias),
  };
}

export function linear(
  spec: Named & { inFeatures: FactOr<number>; outFeatures: FactOr<number>; bias?: FactOr<boolean> },
): LinearLayer {
  const inFeatures = fact(spec.inFeatures);
  const outFeatures = fact(spec.outFeatures);
  const bias = fact(spec.bias ?? true);
  return {
    kind: 'linear',
    name: spec.name,
    source: spec.source,
    inFeatures,
    outFeatures,
    bias,
    params: linearParams(inFeatures, outFeatures, bias),
  };
}

/** PyTorch's defaults: BatchNorm/LayerNorm/GroupNorm are affine, InstanceNorm is not. */
export function defaultAffine(kind: NormKind): boolean {
  return kind !== 'instance';
}

export function norm(
  spec: Named & { norm: NormKind; channels: FactOr<number>; affine?: FactOr<boolean>; groups?: FactOr<number> },
): NormLayer {
  const channels = fact(spec.channels);
  const affine = fact(spec.affine ?? defaultAffine(spec.norm));
  return {
    kind: 'norm',
    name: spec.name,
    source: spec.source,
    norm: spec.norm,
    channels,
    affine,
    ...(spec.groups === undefined ? {} : { groups: fact(spec.groups) }),
    params: normParams(channels, affine),
  };
}

export function activation(spec: Named & { fn: ActivationFunction; learnedCount?: FactOr<number> }): ActivationLayer {
  const learnedCount = fact(spec.learnedCount ?? defaultLearnedCount(spec.fn));
  return {
    kind: 'activation',
    name: spec.name,
    source: spec.source,
    fn: spec.fn,
    parametric: PARAMETRIC_ACTIVATIONS.has(spec.fn),
    learnedCount,
    params: learnedCount,
  };
}

export function pool(
  spec: Named & {
    pool: 'max' | 'avg';
    kernel?: FactOr<number | Pair>;
    stride?: FactOr<number | Pair>;
    padding?: FactOr<number | Pair>;
    outputSize?: Pair;
  },
): PoolLayer {
  const kernel = pair(spec.kernel ?? 1);
  return {
    kind: 'pool',
    name: spec.name,
    source: spec.source,
    pool: spec.pool,
    ...(spec.outputSize ? { outputSize: spec.outputSize } : {}),
    kernel,
    // PyTorch's pooling stride defaults to the kernel size.
    stride: spec.stride === undefined ? kernel : pair(spec.stride),
    padding: pair(spec.padding ?? 0),
    params: known(0),
  };
}

export function squeezeExcitation(
  spec: Named & {
    channels: FactOr<number>;
    squeezeChannels: FactOr<number>;
    activation: ActivationFunction | null;
    bias?: boolean;
  },
): SqueezeExcitationLayer {
  const channels = fact(spec.channels);
  const squeezeChannels = fact(spec.squeezeChannels);
  const bias = spec.bias ?? true;
  return {
    kind: 'se',
    name: spec.name,
    source: spec.source,
    channels,
    squeezeChannels,
    activation: spec.activation,
    bias,
    params: squeezeExcitationParams(channels, squeezeChannels, spec.activation, bias),
  };
}

export function identity(spec: Named): IdentityLayer {
  return { kind: 'identity', name: spec.name, source: spec.source, params: known(0) };
}

export function other(spec: Named & { className: string }): OtherLayer {
  return { kind: 'other', name: spec.name, source: spec.source, className: spec.className, params: known(0) };
}

export function flatten(spec: Named): FlattenLayer {
  return { kind: 'flatten', name: spec.name, source: spec.source, params: known(0) };
}
