import * as tf from '@tensorflow/tfjs-core';
import { valueOf, type Block, type Fact, type Layer, type Network, type Pair } from '../../core';
import { activationInitialParams, applyActivation } from './activations';
import { conv2d } from './conv';
import { kaimingNormalFanOut, uniformFanIn } from './initializers';
import type { InputNormalization } from './normalize-input';
import type { ParameterStore } from './parameter-store';
import { PASS_THROUGH } from '../model/pass-through';
import { UnsupportedModelError } from './unsupported-model-error';

/** Running-statistics updates a training-mode forward pass asks for (applied after the step). */
export interface BufferUpdate {
  readonly buffer: tf.Variable;
  readonly value: tf.Tensor;
}

export interface ForwardMode {
  readonly training: boolean;
  /** Collects BatchNorm running-statistics updates in training mode. */
  readonly updates: BufferUpdate[];
}

type Op = (x: tf.Tensor, mode: ForwardMode) => tf.Tensor;

export { UnsupportedModelError };

const BN_EPS = 1e-5;
const BN_MOMENTUM = 0.1;

/**
 * Compiles a network of the IR into a forward function over NHWC input in [0,1] and registers its
 * parameters, named and counted as PyTorch would, in `store`. Every fact the computation needs
 * must be known: an unknown one is an error that names the layer, never a guess.
 */
export function buildForward(
  network: Network,
  store: ParameterStore,
  normalization: InputNormalization | undefined,
): Op {
  if (network.stages.some((s) => (valueOf(s.facts.denseRatio) ?? 0) > 0)) {
    throw new UnsupportedModelError(
      `${network.name}: dense connections between blocks (guideline 8) are not built by the tfjs back end yet`,
    );
  }
  const ops: Op[] = [];
  if (normalization) ops.push(normalizeOp(normalization, network.inputChannels));
  for (const layer of network.stem.layers) ops.push(layerOp(layer, store));
  for (const stage of network.stages) for (const block of stage.blocks) ops.push(blockOp(block, store));
  for (const layer of network.head.layers) ops.push(layerOp(layer, store));
  return (x, mode) => ops.reduce((h, op) => op(h, mode), x);
}

function normalizeOp(n: InputNormalization, channels: number): Op {
  if (n.mean.length !== channels || n.std.length !== channels) {
    throw new UnsupportedModelError(
      `input normalisation has ${n.mean.length} channels but the model takes ${channels}`,
    );
  }
  const mean = tf.keep(tf.tensor1d([...n.mean]));
  const scale = tf.keep(tf.tensor1d(n.std.map((s) => 1 / s)));
  return (x) => tf.mul(tf.sub(x, mean), scale);
}

function blockOp(block: Block, store: ParameterStore): Op {
  const branch = sequence(block.layers, store);
  const shortcutKind = valueOf(block.facts.shortcut);
  if (block.shortcut.length === 0 && shortcutKind === undefined) {
    throw new UnsupportedModelError(`${block.name}: its shortcut is unknown (${reasonOf(block.facts.shortcut)})`);
  }
  const shortcut = block.shortcut.length > 0 ? sequence(block.shortcut, store) : undefined;
  const after = sequence(block.after, store);
  return (x, mode) => after(tf.add(branch(x, mode), shortcut ? shortcut(x, mode) : x), mode);
}

function sequence(layers: readonly Layer[], store: ParameterStore): Op {
  const ops = layers.map((l) => layerOp(l, store));
  return (x, mode) => ops.reduce((h, op) => op(h, mode), x);
}

function layerOp(layer: Layer, store: ParameterStore): Op {
  switch (layer.kind) {
    case 'conv':
      return convOp(layer, store);
    case 'linear': {
      const fin = need(layer.inFeatures, layer, 'in_features');
      const fout = need(layer.outFeatures, layer, 'out_features');
      const w = store.add(`${layer.name}.weight`, uniformFanIn([fin, fout], fin, store.nextSeed()), true);
      const b = need(layer.bias, layer, 'bias')
        ? store.add(`${layer.name}.bias`, uniformFanIn([fout], fin, store.nextSeed()), false)
        : undefined;
      return (x) => {
        const flat = x.rank === 2 ? x : tf.reshape(x, [x.shape[0] ?? -1, -1]);
        const y = tf.matMul(flat as tf.Tensor2D, w as tf.Tensor2D);
        return b ? tf.add(y, b) : y;
      };
    }
    case 'norm':
      return normOp(layer, store);
    case 'activation': {
      const initial = activationInitialParams(layer.fn);
      const count = valueOf(layer.learnedCount) ?? 1;
      const params: Record<string, tf.Tensor> = {};
      for (const [name, value] of Object.entries(initial)) {
        params[name] = store.add(`${layer.name}.${name}`, tf.fill([name === 'weight' ? count : 1], value), false);
      }
      return (x) => applyActivation(layer.fn, x, params);
    }
    case 'pool':
      return poolOp(layer);
    case 'se': {
      const c = need(layer.channels, layer, 'channels');
      const s = need(layer.squeezeChannels, layer, 'squeeze channels');
      const w1 = store.add(`${layer.name}.fc1.weight`, kaimingNormalFanOut([1, 1, c, s], store.nextSeed()), true);
      const b1 = layer.bias ? store.add(`${layer.name}.fc1.bias`, tf.zeros([s]), false) : undefined;
      const w2 = store.add(`${layer.name}.fc2.weight`, kaimingNormalFanOut([1, 1, s, c], store.nextSeed()), true);
      const b2 = layer.bias ? store.add(`${layer.name}.fc2.bias`, tf.zeros([c]), false) : undefined;
      const actParams: Record<string, tf.Tensor> = {};
      if (layer.activation) {
        for (const [name, value] of Object.entries(activationInitialParams(layer.activation))) {
          actParams[name] = store.add(`${layer.name}.activation.${name}`, tf.fill([1], value), false);
        }
      }
      return (x) => {
        const pooled = tf.mean(x, [1, 2]);
        let h: tf.Tensor = tf.matMul(pooled as tf.Tensor2D, tf.reshape(w1, [c, s]) as tf.Tensor2D);
        if (b1) h = tf.add(h, b1);
        if (layer.activation) h = applyActivation(layer.activation, h, actParams);
        let g: tf.Tensor = tf.matMul(h as tf.Tensor2D, tf.reshape(w2, [s, c]) as tf.Tensor2D);
        if (b2) g = tf.add(g, b2);
        return tf.mul(x, tf.reshape(tf.sigmoid(g), [-1, 1, 1, c]));
      };
    }
    case 'identity':
      return (x) => x;
    case 'flatten':
      return (x) => tf.reshape(x, [x.shape[0] ?? -1, -1]);
    case 'other':
      if (PASS_THROUGH.has(layer.className)) return (x) => x;
      throw new UnsupportedModelError(`${layer.name}: ${layer.className} is not built by the tfjs back end`);
  }
}

function convOp(layer: Extract<Layer, { kind: 'conv' }>, store: ParameterStore): Op {
  const cin = need(layer.inChannels, layer, 'in_channels');
  const cout = need(layer.outChannels, layer, 'out_channels');
  const [kh, kw] = need(layer.kernel, layer, 'kernel_size');
  const groups = need(layer.groups, layer, 'groups');
  if (cin % groups !== 0 || cout % groups !== 0)
    throw new UnsupportedModelError(`${layer.name}: ${cin} -> ${cout} channels are not divisible by ${groups} groups`);
  const shape = [kh, kw, cin / groups, cout] as const;
  const w = store.add(`${layer.name}.weight`, kaimingNormalFanOut(shape, store.nextSeed()), true);
  const b = need(layer.bias, layer, 'bias')
    ? store.add(`${layer.name}.bias`, uniformFanIn([cout], (cin / groups) * kh * kw, store.nextSeed()), false)
    : undefined;
  const geometry = {
    stride: need(layer.stride, layer, 'stride'),
    padding: need(layer.padding, layer, 'padding'),
    dilation: need(layer.dilation, layer, 'dilation'),
    groups,
  };
  return (x) => {
    const y = conv2d(x as tf.Tensor4D, w as tf.Tensor4D, geometry);
    return b ? tf.add(y, b) : y;
  };
}

function normOp(layer: Extract<Layer, { kind: 'norm' }>, store: ParameterStore): Op {
  const c = need(layer.channels, layer, 'channels');
  const affine = need(layer.affine, layer, 'affine');
  const gamma = affine ? store.add(`${layer.name}.weight`, tf.ones([c]), false) : undefined;
  const beta = affine ? store.add(`${layer.name}.bias`, tf.zeros([c]), false) : undefined;
  const scaleShift = (normalized: tf.Tensor): tf.Tensor =>
    gamma && beta ? tf.add(tf.mul(normalized, gamma), beta) : normalized;
  switch (layer.norm) {
    case 'batch': {
      const runningMean = store.addBuffer(`${layer.name}.running_mean`, tf.zeros([c]));
      const runningVar = store.addBuffer(`${layer.name}.running_var`, tf.ones([c]));
      return (x, mode) => {
        const axes = x.rank === 4 ? [0, 1, 2] : [0];
        if (!mode.training) return scaleShift(tf.mul(tf.sub(x, runningMean), tf.rsqrt(tf.add(runningVar, BN_EPS))));
        const { mean, variance } = tf.moments(x, axes);
        const count = x.size / c;
        // PyTorch keeps the unbiased variance in its running estimate and normalises with the biased one.
        mode.updates.push(
          { buffer: runningMean, value: tf.add(tf.mul(runningMean, 1 - BN_MOMENTUM), tf.mul(mean, BN_MOMENTUM)) },
          {
            buffer: runningVar,
            value: tf.add(
              tf.mul(runningVar, 1 - BN_MOMENTUM),
              tf.mul(variance, (BN_MOMENTUM * count) / Math.max(1, count - 1)),
            ),
          },
        );
        return scaleShift(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, BN_EPS))));
      };
    }
    case 'instance':
      return (x) => {
        const { mean, variance } = tf.moments(x, [1, 2], true);
        return scaleShift(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, BN_EPS))));
      };
    case 'layer':
      // Over the channels of each position, as the channels-last LayerNorm of conv networks does.
      return (x) => {
        const { mean, variance } = tf.moments(x, [x.rank - 1], true);
        return scaleShift(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, BN_EPS))));
      };
    case 'group': {
      const groups = layer.groups ? need(layer.groups, layer, 'num_groups') : 1;
      return (x) => {
        const [n, h, w] = x.shape as [number, number, number, number];
        const grouped = tf.reshape(x, [n, h, w, groups, c / groups]);
        const { mean, variance } = tf.moments(grouped, [1, 2, 4], true);
        const normalized = tf.reshape(tf.mul(tf.sub(grouped, mean), tf.rsqrt(tf.add(variance, BN_EPS))), [n, h, w, c]);
        return scaleShift(normalized);
      };
    }
  }
}

function poolOp(layer: Extract<Layer, { kind: 'pool' }>): Op {
  if (layer.outputSize) {
    const [oh, ow] = layer.outputSize;
    return (x) => {
      const [, h, w] = x.shape as [number, number, number, number];
      if (oh === 1 && ow === 1) return layer.pool === 'max' ? tf.max(x, [1, 2], true) : tf.mean(x, [1, 2], true);
      if (h % oh !== 0 || w % ow !== 0)
        throw new UnsupportedModelError(
          `${layer.name}: adaptive pooling from ${h}x${w} to ${oh}x${ow} needs sizes that divide evenly`,
        );
      const size: [number, number] = [h / oh, w / ow];
      return layer.pool === 'max'
        ? tf.maxPool(x as tf.Tensor4D, size, size, 'valid')
        : tf.avgPool(x as tf.Tensor4D, size, size, 'valid');
    };
  }
  const kernel = need(layer.kernel, layer, 'kernel_size');
  const stride = need(layer.stride, layer, 'stride');
  const [ph, pw] = need(layer.padding, layer, 'padding');
  return (x) => {
    // PyTorch pads max pooling with -inf and average pooling with zeros it counts (count_include_pad).
    const padded =
      ph > 0 || pw > 0
        ? tf.pad(
            x,
            [
              [0, 0],
              [ph, ph],
              [pw, pw],
              [0, 0],
            ],
            layer.pool === 'max' ? -3.4e38 : 0,
          )
        : x;
    return layer.pool === 'max'
      ? tf.maxPool(padded as tf.Tensor4D, pair(kernel), pair(stride), 'valid')
      : tf.avgPool(padded as tf.Tensor4D, pair(kernel), pair(stride), 'valid');
  };
}

function pair(p: Pair): [number, number] {
  return [p[0], p[1]];
}

function need<T>(fact: Fact<T>, layer: { readonly name: string }, what: string): T {
  if (!fact.known) throw new UnsupportedModelError(`${layer.name}: its ${what} is unknown (${fact.reason})`);
  return fact.value;
}

function reasonOf<T>(fact: Fact<T>): string {
  return fact.known ? 'known' : fact.reason;
}
