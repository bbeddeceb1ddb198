import { valueOf, type Layer, type Network } from '../../core';
import { activationInitialParams } from '../model/activation-params';
import type { InputNormalization } from '../tfjs/normalize-input';
import { UnsupportedModelError } from '../tfjs/unsupported-model-error';
import type { GraphBuilder, Shape } from './graph-builder';
import { activationValue } from './param-activations';
import { batchNormEvalAffine, batchNormTrain, foldValues } from './param-batch-norm';
import { affineValue, convValue, linearValue, type ConvGeometry } from './param-ops';
import { emitPool, need, passThrough, standardizeNorm, walkNetwork } from './ir-walk';
import type { Tape } from './tape';
import { flattenChannelsLast, scaleByGate, spatialMean } from './tensor-ops';

/** A learned tensor: its PyTorch-style name, its shape in the graph and in the tfjs checkpoint. */
export interface ParamSpec {
  readonly name: string;
  /** The graph's layout: OIHW for conv kernels, as the checkpoint otherwise. */
  readonly shape: Shape;
  /** The checkpoint's (tfjs ParameterStore's) layout: HWIO for conv kernels. */
  readonly stateShape: Shape;
  readonly conv: boolean;
  /** Weight decay applies to conv and linear weights only (as parameter-store.ts says). */
  readonly decay: boolean;
}

export interface BufferSpec {
  readonly name: string;
  readonly shape: Shape;
}

/** The graph input that carries a parameter or a buffer. */
export function paramInput(name: string): string {
  return `p:${name}`;
}

export function bufferInput(name: string): string {
  return `b:${name}`;
}

/**
 * The parameters and BatchNorm buffers one emission reads, in the order first read, each a graph
 * input; in training mode also the buffers' updated values (the last update wins, as tfjs assigns
 * its updates in order: TRADES's adversarial pass after the natural one).
 */
export class ValueRegistry {
  readonly params: ParamSpec[] = [];
  readonly buffers: BufferSpec[] = [];
  readonly bufferUpdates = new Map<string, string>();

  constructor(private readonly graph: GraphBuilder) {}

  param(spec: ParamSpec): string {
    const input = paramInput(spec.name);
    if (!this.params.some((p) => p.name === spec.name)) {
      this.params.push(spec);
      this.graph.input(input, spec.shape);
    }
    return input;
  }

  buffer(name: string, shape: Shape): string {
    const input = bufferInput(name);
    if (!this.buffers.some((b) => b.name === name)) {
      this.buffers.push({ name, shape });
      this.graph.input(input, shape);
    }
    return input;
  }
}

export type EmitMode = 'train' | 'eval';

/**
 * Appends the forward pass of `network` to the tape's graph from NCHW input `x` in [0, 1] to the
 * logits, with every learned tensor and BatchNorm statistic a graph input (from `registry`):
 * build-forward.ts's computation layer for layer. In training mode BatchNorm uses the batch's
 * statistics and records its running-statistics updates; in evaluation mode it uses the running
 * statistics and is folded into the conv before it, in the graph.
 */
export function emitTrainableNetwork(
  tape: Tape,
  registry: ValueRegistry,
  network: Network,
  normalization: InputNormalization | undefined,
  x: string,
  mode: EmitMode,
): string {
  const emit = new Emitter(tape, registry, mode);
  return walkNetwork(tape, network, normalization, x, (layers, h) => emit.sequence(layers, h));
}

class Emitter {
  private readonly g: GraphBuilder;

  constructor(
    private readonly tape: Tape,
    private readonly registry: ValueRegistry,
    private readonly mode: EmitMode,
  ) {
    this.g = tape.graph;
  }

  sequence(layers: readonly Layer[], x: string): string {
    let h = x;
    for (let i = 0; i < layers.length; i++) {
      const layer = layers[i] as Layer;
      const next = layers[i + 1];
      if (this.mode === 'eval' && layer.kind === 'conv' && next?.kind === 'norm' && next.norm === 'batch') {
        h = this.conv(layer, h, next);
        i += 1;
      } else {
        h = this.layer(layer, h);
      }
    }
    return h;
  }

  private param(name: string, shape: Shape, decay: boolean, stateShape: Shape = shape, conv = false): string {
    return this.registry.param({ name, shape, stateShape, conv, decay });
  }

  private layer(layer: Layer, x: string): string {
    switch (layer.kind) {
      case 'conv':
        return this.conv(layer, x, undefined);
      case 'linear': {
        const fin = need(layer.inFeatures, layer, 'in_features');
        const fout = need(layer.outFeatures, layer, 'out_features');
        const flat = flattenChannelsLast(this.tape, x);
        const actual = this.g.shape(flat)[1];
        if (actual !== fin)
          throw new UnsupportedModelError(`${layer.name}: takes ${fin} features but receives ${actual}`);
        const w = this.param(`${layer.name}.weight`, [fin, fout], true);
        const b = need(layer.bias, layer, 'bias') ? this.param(`${layer.name}.bias`, [fout], false) : undefined;
        return linearValue(this.tape, flat, w, b);
      }
      case 'norm':
        return this.norm(layer, x);
      case 'activation': {
        const count = valueOf(layer.learnedCount) ?? 1;
        return activationValue(this.tape, x, layer.fn, this.activationParams(layer.fn, `${layer.name}.`, count));
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

  private conv(
    layer: Extract<Layer, { kind: 'conv' }>,
    x: string,
    bn: Extract<Layer, { kind: 'norm' }> | undefined,
  ): string {
    const cin = need(layer.inChannels, layer, 'in_channels');
    const cout = need(layer.outChannels, layer, 'out_channels');
    const [kh, kw] = need(layer.kernel, layer, 'kernel_size');
    const groups = need(layer.groups, layer, 'groups');
    if (cin % groups !== 0 || cout % groups !== 0)
      throw new UnsupportedModelError(
        `${layer.name}: ${cin} -> ${cout} channels are not divisible by ${groups} groups`,
      );
    const actual = this.g.shape(x)[1];
    if (actual !== cin) throw new UnsupportedModelError(`${layer.name}: takes ${cin} channels but receives ${actual}`);
    let w = this.param(`${layer.name}.weight`, [cout, cin / groups, kh, kw], true, [kh, kw, cin / groups, cout], true);
    let b = need(layer.bias, layer, 'bias') ? this.param(`${layer.name}.bias`, [cout], false) : undefined;
    const geo: ConvGeometry = {
      stride: need(layer.stride, layer, 'stride'),
      padding: need(layer.padding, layer, 'padding'),
      dilation: need(layer.dilation, layer, 'dilation'),
      groups,
    };
    if (bn) ({ w, b } = foldValues(this.g, w, b, this.evalBatchNorm(bn)));
    return convValue(this.tape, x, w, b, geo);
  }

  private normAffine(layer: Extract<Layer, { kind: 'norm' }>, c: number): { gamma?: string; beta?: string } {
    if (!need(layer.affine, layer, 'affine')) return {};
    return {
      gamma: this.param(`${layer.name}.weight`, [c], false),
      beta: this.param(`${layer.name}.bias`, [c], false),
    };
  }

  private evalBatchNorm(layer: Extract<Layer, { kind: 'norm' }>): { scale: string; shift: string } {
    const c = need(layer.channels, layer, 'channels');
    const { gamma, beta } = this.normAffine(layer, c);
    const mean = this.registry.buffer(`${layer.name}.running_mean`, [c]);
    const variance = this.registry.buffer(`${layer.name}.running_var`, [c]);
    return batchNormEvalAffine(this.g, gamma, beta, mean, variance);
  }

  private norm(layer: Extract<Layer, { kind: 'norm' }>, x: string): string {
    const c = need(layer.channels, layer, 'channels');
    const shape = this.g.shape(x);
    if (shape[1] !== c)
      throw new UnsupportedModelError(`${layer.name}: normalises ${c} channels but receives ${shape[1]}`);
    if (layer.norm === 'batch') {
      if (this.mode === 'eval') {
        const { scale, shift } = this.evalBatchNorm(layer);
        return affineValue(this.tape, x, scale, shift);
      }
      const { gamma, beta } = this.normAffine(layer, c);
      const meanName = `${layer.name}.running_mean`;
      const varName = `${layer.name}.running_var`;
      const result = batchNormTrain(
        this.tape,
        x,
        gamma,
        beta,
        this.registry.buffer(meanName, [c]),
        this.registry.buffer(varName, [c]),
      );
      this.registry.bufferUpdates.set(meanName, result.runningMean);
      this.registry.bufferUpdates.set(varName, result.runningVar);
      return result.y;
    }
    const h = standardizeNorm(this.tape, layer, x, c);
    const { gamma, beta } = this.normAffine(layer, c);
    return gamma === undefined ? h : affineValue(this.tape, h, gamma, beta);
  }

  /** Hu et al., 2018: global mean, 1x1 conv, activation, 1x1 conv, sigmoid gate on the input. */
  private squeezeExcitation(layer: Extract<Layer, { kind: 'se' }>, x: string): string {
    const c = need(layer.channels, layer, 'channels');
    const s = need(layer.squeezeChannels, layer, 'squeeze channels');
    const geo: ConvGeometry = { stride: [1, 1], padding: [0, 0], dilation: [1, 1], groups: 1 };
    const fc = (name: string, h: string, cin: number, cout: number): string => {
      const w = this.param(`${layer.name}.${name}.weight`, [cout, cin, 1, 1], true, [1, 1, cin, cout], true);
      const b = layer.bias ? this.param(`${layer.name}.${name}.bias`, [cout], false) : undefined;
      return convValue(this.tape, h, w, b, geo);
    };
    let h = fc('fc1', spatialMean(this.tape, x), c, s);
    if (layer.activation)
      h = activationValue(
        this.tape,
        h,
        layer.activation,
        this.activationParams(layer.activation, `${layer.name}.activation.`, 1),
      );
    const gate = activationValue(this.tape, fc('fc2', h, s, c), 'sigmoid', {});
    return scaleByGate(this.tape, x, gate);
  }

  private activationParams(
    fn: Parameters<typeof activationInitialParams>[0],
    prefix: string,
    count: number,
  ): Record<string, string> {
    const out: Record<string, string> = {};
    for (const name of Object.keys(activationInitialParams(fn)))
      out[name] = this.param(`${prefix}${name}`, [name === 'weight' ? count : 1], false);
    return out;
  }
}
