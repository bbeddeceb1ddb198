import { valueOf, type Layer, type Network } from '../../core';

/**
 * A network of the IR as plain JSON that python/ir_model.py turns into the same torch.nn model,
 * so benchmarks and parity tests compare the engine with PyTorch on identical architectures.
 */
export interface NetworkJson {
  readonly name: string;
  readonly inputChannels: number;
  readonly stem: readonly LayerJson[];
  readonly blocks: ReadonlyArray<{
    readonly name: string;
    readonly branch: readonly LayerJson[];
    readonly shortcut: readonly LayerJson[];
    readonly after: readonly LayerJson[];
  }>;
  readonly head: readonly LayerJson[];
}

export type LayerJson = Readonly<Record<string, unknown>> & { readonly kind: Layer['kind']; readonly name: string };

export function networkJson(network: Network): NetworkJson {
  return {
    name: network.name,
    inputChannels: network.inputChannels,
    stem: network.stem.layers.map(layerJson),
    blocks: network.stages.flatMap((s) =>
      s.blocks.map((b) => ({
        name: b.name,
        branch: b.layers.map(layerJson),
        shortcut: b.shortcut.map(layerJson),
        after: b.after.map(layerJson),
      })),
    ),
    head: network.head.layers.map(layerJson),
  };
}

function layerJson(layer: Layer): LayerJson {
  const base = { kind: layer.kind, name: layer.name };
  switch (layer.kind) {
    case 'conv':
      return {
        ...base,
        in: valueOf(layer.inChannels),
        out: valueOf(layer.outChannels),
        kernel: valueOf(layer.kernel),
        stride: valueOf(layer.stride),
        padding: valueOf(layer.padding),
        dilation: valueOf(layer.dilation),
        groups: valueOf(layer.groups),
        bias: valueOf(layer.bias),
      };
    case 'linear':
      return { ...base, in: valueOf(layer.inFeatures), out: valueOf(layer.outFeatures), bias: valueOf(layer.bias) };
    case 'norm':
      return {
        ...base,
        norm: layer.norm,
        channels: valueOf(layer.channels),
        affine: valueOf(layer.affine),
        groups: layer.groups ? valueOf(layer.groups) : null,
      };
    case 'activation':
      return { ...base, fn: layer.fn, count: valueOf(layer.learnedCount) };
    case 'pool':
      return {
        ...base,
        pool: layer.pool,
        outputSize: layer.outputSize ?? null,
        kernel: valueOf(layer.kernel),
        stride: valueOf(layer.stride),
        padding: valueOf(layer.padding),
      };
    case 'se':
      return {
        ...base,
        channels: valueOf(layer.channels),
        squeeze: valueOf(layer.squeezeChannels),
        activation: layer.activation,
        bias: layer.bias,
      };
    case 'other':
      return { ...base, className: layer.className };
    case 'identity':
    case 'flatten':
      return base;
  }
}
