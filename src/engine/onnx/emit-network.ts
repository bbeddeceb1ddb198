import { valueOf, type Layer, type Network } from '../../core';
import type { InputNormalization } from '../tfjs/normalize-input';
import { UnsupportedModelError } from '../tfjs/unsupported-model-error';
import { activation, type ActivationValues } from './activation-ops';
import { conv, type ConvSpec } from './conv-ops';
import { batchNormAffine, foldIntoConv, type ChannelAffine } from './fold-batch-norm';
import type { StateWeights } from './state-weights';
import { emitPool, need, passThrough, standardizeNorm, walkNetwork } from './ir-walk';
import type { Tape } from './tape';
import { channelAffine, flattenChannelsLast, linear, scaleByGate, spatialMean } from './tensor-ops';

/**
 * Appends the evaluation-mode forward pass of `network` to the tape's graph, from NCHW input `x`
 * in [0, 1] to the logits' name. The computation is build-forward.ts's, layer for layer, with the
 * weights read from `weights` under the same names; BatchNorm is folded into the conv before it.
 */
export function emitNetwork(
  tape: Tape,
  network: Network,
  weights: StateWeights,
  normalization: InputNormalization | undefined,
  x: string,
): string {
  const emit = new NetworkEmitter(tape, weights);
  return walkNetwork(tape, network, normalization, x, (layers, h) => emit.sequence(layers, h));
}

class NetworkEmitter {
  constructor(
    private readonly tape: Tape,
    private readonly weights: StateWeights,
  ) {}

  /** The layers in order, each conv absorbing the BatchNorm right after it. */
  sequence(layers: readonly Layer[], x: string): string {
    let h = x;
    for (let i = 0; i < layers.length; i++) {
      const layer = layers[i] as Layer;
      const next = layers[i + 1];
      if (layer.kind === 'conv' && next?.kind === 'norm' && next.norm === 'batch') {
        h = this.conv(layer, h, this.batchNorm(next));
        i += 1;
      } else {
        h = this.layer(layer, h);
      }
    }
    return h;
  }

  private layer(layer: Layer, x: string): string {
    switch (layer.kind) {
      case 'conv':
        return this.conv(layer, x, undefined);
      case 'linear': {
        const fin = need(layer.inFeatures, layer, 'in_features');
        const fout = need(layer.outFeatures, layer, 'out_features');
        const w = this.weights.take(`${layer.name}.weight`, [fin, fout]);
        const b = need(layer.bias, layer, 'bias') ? this.weights.take(`${layer.name}.bias`, [fout]) : undefined;
        return linear(this.tape, flattenChannelsLast(this.tape, x), w, fin, fout, b);
      }
      case 'norm':
        return this.norm(layer, x);
      case 'activation': {
        const count = valueOf(layer.learnedCount) ?? 1;
        return activation(this.tape, x, layer.fn, this.activationValues(layer.fn, `${layer.name}.`, count));
      }
      case 'pool':
        return emitPool(this.tape, layer, x);
      case 'se':
        return this.squeezeExcitation(layer, x);
      case 'identity':
        return x;
      case 'flatten':
        return flattenChannelsLast(this.tape, x);
      case 'other':
        return passThrough(layer, x);
    }
  }

  private conv(layer: Extract<Layer, { kind: 'conv' }>, x: string, bn: ChannelAffine | undefined): string {
    const cin = need(layer.inChannels, layer, 'in_channels');
    const cout = need(layer.outChannels, layer, 'out_channels');
    const [kh, kw] = need(layer.kernel, layer, 'kernel_size');
    const groups = need(layer.groups, layer, 'groups');
    if (cin % groups !== 0 || cout % groups !== 0)
      throw new UnsupportedModelError(
        `${layer.name}: ${cin} -> ${cout} channels are not divisible by ${groups} groups`,
      );
    const actual = this.tape.graph.shape(x)[1];
    if (actual !== cin) throw new UnsupportedModelError(`${layer.name}: takes ${cin} channels but receives ${actual}`);
    let weight = this.weights.convKernel(`${layer.name}.weight`, kh, kw, cin / groups, cout);
    let bias = need(layer.bias, layer, 'bias') ? this.weights.take(`${layer.name}.bias`, [cout]) : undefined;
    if (bn) ({ weight, bias } = foldIntoConv(weight, bias, bn));
    const spec: ConvSpec = {
      weight,
      weightShape: [cout, cin / groups, kh, kw],
      ...(bias ? { bias } : {}),
      stride: need(layer.stride, layer, 'stride'),
      padding: need(layer.padding, layer, 'padding'),
      dilation: need(layer.dilation, layer, 'dilation'),
      groups,
    };
    return conv(this.tape, x, spec);
  }

  private batchNorm(layer: Extract<Layer, { kind: 'norm' }>): ChannelAffine {
    const c = need(layer.channels, layer, 'channels');
    const affine = need(layer.affine, layer, 'affine');
    return batchNormAffine({
      mean: this.weights.take(`${layer.name}.running_mean`, [c]),
      variance: this.weights.take(`${layer.name}.running_var`, [c]),
      ...(affine
        ? { gamma: this.weights.take(`${layer.name}.weight`, [c]), beta: this.weights.take(`${layer.name}.bias`, [c]) }
        : {}),
    });
  }

  private norm(layer: Extract<Layer, { kind: 'norm' }>, x: string): string {
    if (layer.norm === 'batch') {
      const { scale, shift } = this.batchNorm(layer);
      return channelAffine(this.tape, x, scale, shift);
    }
    const c = need(layer.channels, layer, 'channels');
    const h = standardizeNorm(this.tape, layer, x, c);
    if (!need(layer.affine, layer, 'affine')) return h;
    return channelAffine(
      this.tape,
      h,
      this.weights.take(`${layer.name}.weight`, [c]),
      this.weights.take(`${layer.name}.bias`, [c]),
    );
  }

  /** Hu et al., 2018: global mean, 1x1 conv, activation, 1x1 conv, sigmoid gate on the input. */
  private squeezeExcitation(layer: Extract<Layer, { kind: 'se' }>, x: string): string {
    const c = need(layer.channels, layer, 'channels');
    const s = need(layer.squeezeChannels, layer, 'squeeze channels');
    const fc = (name: string, cin: number, cout: number): ConvSpec => ({
      weight: this.weights.convKernel(`${layer.name}.${name}.weight`, 1, 1, cin, cout),
      weightShape: [cout, cin, 1, 1],
      ...(layer.bias ? { bias: this.weights.take(`${layer.name}.${name}.bias`, [cout]) } : {}),
      stride: [1, 1],
      padding: [0, 0],
      dilation: [1, 1],
      groups: 1,
    });
    let h = conv(this.tape, spatialMean(this.tape, x), fc('fc1', c, s));
    if (layer.activation)
      h = activation(
        this.tape,
        h,
        layer.activation,
        this.activationValues(layer.activation, `${layer.name}.activation.`, 1),
      );
    const gate = activation(this.tape, conv(this.tape, h, fc('fc2', s, c)), 'sigmoid', {});
    return scaleByGate(this.tape, x, gate);
  }

  private activationValues(fn: string, prefix: string, count: number): ActivationValues {
    switch (fn) {
      case 'prelu':
        return { weight: this.weights.take(`${prefix}weight`, [count]) };
      case 'psilu':
        return { alpha: this.scalar(`${prefix}alpha`) };
      case 'pssilu':
        return { alpha: this.scalar(`${prefix}alpha`), beta: this.scalar(`${prefix}beta`) };
      default:
        return {};
    }
  }

  private scalar(name: string): number {
    return this.weights.take(name, [1])[0] as number;
  }
}
