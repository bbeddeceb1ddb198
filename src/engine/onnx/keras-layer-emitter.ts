// One Keras layer's inference forward pass appended to the tape, in the layouts emit-keras.ts keeps.
import type { ActivationFunction } from '../../core';
import { UnsupportedModelError } from '../tfjs/unsupported-model-error';
import { activation } from './activation-ops';
import { conv, type ConvSpec } from './conv-ops';
import { foldIntoConv, type ChannelAffine } from './fold-batch-norm';
import { channelAxisOf, num, pair, pairs } from './keras-config-values';
import type { KerasNode, KerasWeight } from './keras-graph-data';
import { binary, concat, crop2d, kerasActivation, pad2d, scaleShift, softmax, type KerasActivation } from './keras-ops';
import { hwcToChw, hwioToOihw } from './keras-weight-layout';
import { avgPool, maxPool } from './pool-ops';
import type { Tape } from './tape';
import { channelAffine, flattenChannelsLast, linear, reshape, spatialMax, spatialMean, transpose } from './tensor-ops';

/**
 * Layers that are the identity at inference time (tfjs applies them only when training).
 * ActivityRegularization only adds a loss term.
 */
const INFERENCE_IDENTITY = new Set([
  'Dropout',
  'SpatialDropout1D',
  'SpatialDropout2D',
  'GaussianNoise',
  'GaussianDropout',
  'AlphaDropout',
  'ActivityRegularization',
]);

/** Max-pool padding: below every float32, so a padded position never wins. */
const NEG_FLOAT_MAX = -3.4028234663852886e38;

/** Keras axis k of a rank-4 value (NHWC) is this axis of our NCHW copy of it. */
const NHWC_TO_NCHW_AXIS = [0, 2, 3, 1] as const;

export class KerasEmitter {
  constructor(private readonly tape: Tape) {}

  private get g() {
    return this.tape.graph;
  }

  layer(node: KerasNode, inputs: readonly string[], foldedBn: KerasNode | undefined): string {
    const x = inputs[0] as string;
    const c = node.config;
    switch (node.className) {
      case 'Conv2D':
      case 'DepthwiseConv2D':
      case 'SeparableConv2D':
        return this.activate(node, this.conv(node, x, foldedBn ? this.batchNorm(foldedBn) : undefined));
      case 'Dense': {
        const shape = this.g.shape(x);
        if (shape.length !== 2)
          throw this.unsupported(node, `on a rank-${shape.length} value (Dense over the last axis of an image)`);
        const kernel = this.weight(node, 'kernel');
        const [fin, fout] = kernel.shape as [number, number];
        const bias = c.useBias === false ? undefined : this.weight(node, 'bias').data;
        return this.activate(node, linear(this.tape, x, kernel.data, fin, fout, bias));
      }
      case 'BatchNormalization': {
        const rank = this.g.shape(x).length;
        if (channelAxisOf(c.axis, rank) !== rank - 1)
          throw this.unsupported(node, `normalising axis ${String(c.axis)} rather than the channels`);
        const { scale, shift } = this.batchNorm(node);
        return channelAffine(this.tape, x, scale, shift);
      }
      case 'Activation':
        return this.activation(node, x, c.activation);
      case 'ReLU': {
        const max = c.maxValue;
        if (typeof max !== 'number') return activation(this.tape, x, 'relu', {});
        return max === 6
          ? activation(this.tape, x, 'relu6', {})
          : kerasActivation(this.tape, x, { fn: 'clipped-relu', max });
      }
      case 'LeakyReLU':
        return kerasActivation(this.tape, x, { fn: 'leaky-relu', alpha: num(c.alpha, 0.3) });
      case 'ELU':
        return kerasActivation(this.tape, x, { fn: 'elu', alpha: num(c.alpha, 1) });
      case 'ThresholdedReLU':
        return kerasActivation(this.tape, x, { fn: 'thresholded-relu', theta: num(c.theta, 1) });
      case 'PReLU':
        return this.prelu(node, x);
      case 'Softmax':
        return softmax(this.tape, x, this.axis(node, x, c.axis ?? -1));
      case 'Add':
        return inputs.slice(1).reduce((a, b) => binary(this.tape, 'Add', a, b), x);
      case 'Subtract':
        return binary(this.tape, 'Sub', x, inputs[1] as string);
      case 'Multiply':
        return inputs.slice(1).reduce((a, b) => binary(this.tape, 'Mul', a, b), x);
      case 'Average':
        return scaleShift(
          this.tape,
          inputs.slice(1).reduce((a, b) => binary(this.tape, 'Add', a, b), x),
          1 / inputs.length,
          0,
        );
      case 'Concatenate':
        return concat(this.tape, inputs, this.axis(node, x, c.axis ?? -1));
      case 'GlobalAveragePooling2D':
      case 'GlobalMaxPooling2D': {
        this.channelsLast(node);
        const pooled =
          node.className === 'GlobalAveragePooling2D' ? spatialMean(this.tape, x) : spatialMax(this.tape, x);
        const [n, ch] = this.g.shape(pooled) as [number, number];
        return c.keepDims === true ? pooled : reshape(this.tape, pooled, [n, ch]);
      }
      case 'MaxPooling2D':
      case 'AveragePooling2D':
        return this.pool(node, x);
      case 'Flatten':
        return flattenChannelsLast(this.tape, x);
      case 'Reshape':
        return this.reshape(node, x);
      case 'ZeroPadding2D': {
        this.channelsLast(node);
        const [[t, b], [l, r]] = pairs(c.padding, node);
        return pad2d(this.tape, x, [t, l, b, r]);
      }
      case 'Cropping2D': {
        this.channelsLast(node);
        const [[t, b], [l, r]] = pairs(c.cropping, node);
        return crop2d(this.tape, x, [t, l, b, r]);
      }
      case 'Rescaling':
        return scaleShift(this.tape, x, num(c.scale, 1), num(c.offset, 0));
      default:
        if (INFERENCE_IDENTITY.has(node.className)) return x;
        throw this.unsupported(node, '');
    }
  }

  private unsupported(node: KerasNode, detail: string): UnsupportedModelError {
    return new UnsupportedModelError(
      `${node.name}: ${node.className}${detail ? ` ${detail}` : ''} is not built by the ` +
        `onnxruntime back end; the tfjs back end runs it`,
    );
  }

  private channelsLast(node: KerasNode): void {
    const format = node.config.dataFormat;
    if (format !== undefined && format !== 'channelsLast')
      throw this.unsupported(node, `with dataFormat ${String(format)}`);
  }

  private weight(node: KerasNode, name: string): KerasWeight {
    const w = node.weights.get(name);
    if (!w) throw new UnsupportedModelError(`${node.name}: the model has no ${name} weight for this ${node.className}`);
    return w;
  }

  /** A Keras axis of `x` in our layout. */
  private axis(node: KerasNode, x: string, axis: unknown): number {
    const rank = this.g.shape(x).length;
    const a = channelAxisOf(axis, rank);
    if (a === undefined || a <= 0 || a >= rank) throw this.unsupported(node, `along axis ${String(axis)}`);
    return rank === 4 ? NHWC_TO_NCHW_AXIS[a as 1 | 2 | 3] : a;
  }

  private activate(node: KerasNode, x: string): string {
    return this.activation(node, x, node.config.activation ?? 'linear');
  }

  /** tfjs's activation names (serializeActivation) to our ops. */
  private activation(node: KerasNode, x: string, name: unknown): string {
    const shared: Record<string, ActivationFunction> = {
      relu: 'relu',
      relu6: 'relu6',
      sigmoid: 'sigmoid',
      tanh: 'tanh',
      softplus: 'softplus',
      swish: 'silu',
      mish: 'mish',
      gelu: 'gelu',
    };
    const keras: Record<string, KerasActivation> = {
      selu: { fn: 'selu' },
      hardSigmoid: { fn: 'hard-sigmoid' },
      softsign: { fn: 'softsign' },
      gelu_new: { fn: 'gelu-tanh' },
      elu: { fn: 'elu', alpha: 1 },
    };
    if (name === 'linear') return x;
    if (typeof name === 'string') {
      const fn = shared[name];
      if (fn) return activation(this.tape, x, fn, {});
      const k = keras[name];
      if (k) return kerasActivation(this.tape, x, k);
      if (name === 'softmax')
        return softmax(this.tape, x, this.g.shape(x).length === 4 ? 1 : this.g.shape(x).length - 1);
    }
    throw this.unsupported(node, `with the ${String(name)} activation`);
  }

  private batchNorm(node: KerasNode): ChannelAffine {
    const c = node.config;
    const eps = num(c.epsilon, 1e-3);
    const mean = this.weight(node, 'moving_mean').data;
    const variance = this.weight(node, 'moving_variance').data;
    const gamma = c.scale === false ? undefined : this.weight(node, 'gamma').data;
    const beta = c.center === false ? undefined : this.weight(node, 'beta').data;
    const scale = new Float32Array(mean.length);
    const shift = new Float32Array(mean.length);
    for (let i = 0; i < mean.length; i++) {
      const s = (gamma?.[i] ?? 1) / Math.sqrt((variance[i] as number) + eps);
      scale[i] = s;
      shift[i] = (beta?.[i] ?? 0) - (mean[i] as number) * s;
    }
    return { scale, shift };
  }

  private conv(node: KerasNode, x: string, bn: ChannelAffine | undefined): string {
    this.channelsLast(node);
    const c = node.config;
    const [, cin, h, w] = this.g.shape(x) as [number, number, number, number];
    const [kh, kw] = pair(c.kernelSize, node, 'kernelSize');
    const stride = pair(c.strides ?? 1, node, 'strides');
    const dilation = pair(c.dilationRate ?? 1, node, 'dilationRate');
    const padding = this.padding(node, [h, w], [kh, kw], stride, dilation);
    const useBias = c.useBias !== false;
    let weight: Float32Array;
    let shape: [number, number, number, number];
    let groups = 1;
    if (node.className === 'Conv2D') {
      const kernel = this.weight(node, 'kernel');
      const cout = kernel.shape[3] as number;
      if (kernel.shape[2] !== cin)
        throw this.unsupported(
          node,
          `with ${String(kernel.shape[2])} kernel input channels for ${cin} input channels (groups)`,
        );
      weight = hwioToOihw(kernel.data, kh, kw, cin, cout);
      shape = [cout, cin, kh, kw];
    } else {
      const kernel = this.weight(node, 'depthwise_kernel');
      const m = kernel.shape[3] as number;
      // TF's depthwise output channel c * m + j is ONNX's group c, output j: the same order.
      weight = hwioToOihw(kernel.data, kh, kw, 1, cin * m);
      shape = [cin * m, 1, kh, kw];
      groups = cin;
    }
    const separable = node.className === 'SeparableConv2D';
    const bias = useBias && !separable ? this.weight(node, 'bias').data : undefined;
    let spec: ConvSpec = {
      weight,
      weightShape: shape,
      ...(bias ? { bias } : {}),
      stride,
      padding: [0, 0],
      dilation,
      groups,
    };
    if (bn && !separable) spec = { ...spec, ...foldIntoConv(spec.weight, spec.bias, bn) };
    let y = this.paddedConv(x, spec, padding);
    if (separable) {
      const pointwise = this.weight(node, 'pointwise_kernel');
      const cout = pointwise.shape[3] as number;
      const mid = shape[0];
      let pw: ConvSpec = {
        weight: hwioToOihw(pointwise.data, 1, 1, mid, cout),
        weightShape: [cout, mid, 1, 1],
        ...(useBias ? { bias: this.weight(node, 'bias').data } : {}),
        stride: [1, 1],
        padding: [0, 0],
        dilation: [1, 1],
        groups: 1,
      };
      if (bn) pw = { ...pw, ...foldIntoConv(pw.weight, pw.bias, bn) };
      y = conv(this.tape, y, pw);
    }
    return y;
  }

  /** A conv with [top, left, bottom, right] padding: in the Conv itself when symmetric, else padded first. */
  private paddedConv(x: string, spec: ConvSpec, [t, l, b, r]: readonly [number, number, number, number]): string {
    if (t === b && l === r) return conv(this.tape, x, { ...spec, padding: [t, l] });
    return conv(this.tape, pad2d(this.tape, x, [t, l, b, r]), spec);
  }

  /** Keras's 'same' puts the odd pixel of padding at the bottom and right (TensorFlow's rule). */
  private padding(
    node: KerasNode,
    [h, w]: readonly [number, number],
    kernel: readonly [number, number],
    stride: readonly [number, number],
    dilation: readonly [number, number],
  ): [number, number, number, number] {
    const mode = node.config.padding ?? 'valid';
    if (mode === 'valid') return [0, 0, 0, 0];
    if (mode !== 'same') throw this.unsupported(node, `with padding ${String(mode)}`);
    const total = (size: number, k: number, s: number, d: number): number =>
      Math.max((Math.ceil(size / s) - 1) * s + (k - 1) * d + 1 - size, 0);
    const th = total(h, kernel[0], stride[0], dilation[0]);
    const tw = total(w, kernel[1], stride[1], dilation[1]);
    return [Math.floor(th / 2), Math.floor(tw / 2), th - Math.floor(th / 2), tw - Math.floor(tw / 2)];
  }

  private pool(node: KerasNode, x: string): string {
    this.channelsLast(node);
    const c = node.config;
    const [, , h, w] = this.g.shape(x) as [number, number, number, number];
    const kernel = pair(c.poolSize ?? 2, node, 'poolSize');
    const stride = pair(c.strides ?? kernel, node, 'strides');
    const [t, l, b, r] = this.padding(node, [h, w], kernel, stride, [1, 1]);
    const geometry = { kernel, stride, padding: [0, 0] as const };
    if (node.className === 'MaxPooling2D')
      return maxPool(this.tape, pad2d(this.tape, x, [t, l, b, r], NEG_FLOAT_MAX), geometry);
    const pooled = avgPool(this.tape, pad2d(this.tape, x, [t, l, b, r]), geometry);
    if (t + l + b + r === 0) return pooled;
    // TensorFlow's 'same' average counts only the pixels inside the image: rescale each window.
    const [n, ch, ho, wo] = this.g.shape(pooled) as [number, number, number, number];
    const factor = new Float32Array(ho * wo);
    for (let i = 0; i < ho; i++) {
      const rows = Math.min(i * stride[0] + kernel[0], t + h) - Math.max(i * stride[0], t);
      for (let j = 0; j < wo; j++) {
        const cols = Math.min(j * stride[1] + kernel[1], l + w) - Math.max(j * stride[1], l);
        factor[i * wo + j] = (kernel[0] * kernel[1]) / (rows * cols);
      }
    }
    const f = this.g.constant(factor, [1, 1, ho, wo], 'count');
    const y = this.g.node('Mul', [pooled, f], [n, ch, ho, wo]);
    return this.tape.record([pooled], y, (gy) => [this.g.node('Mul', [gy, f], [n, ch, ho, wo])]);
  }

  private prelu(node: KerasNode, x: string): string {
    const alpha = this.weight(node, 'alpha');
    const shape = this.g.shape(x);
    if (alpha.shape.length !== shape.length - 1)
      throw this.unsupported(node, `with alpha of shape [${alpha.shape.join(', ')}] for a rank-${shape.length} value`);
    if (shape.length !== 4)
      return kerasActivation(this.tape, x, { fn: 'prelu', slope: alpha.data, slopeShape: alpha.shape });
    const [ah, aw, ac] = alpha.shape as [number, number, number];
    return kerasActivation(this.tape, x, {
      fn: 'prelu',
      slope: hwcToChw(alpha.data, ah, aw, ac),
      slopeShape: [ac, ah, aw],
    });
  }

  /** Keras's Reshape is of the NHWC value: go through that layout when either side is an image. */
  private reshape(node: KerasNode, x: string): string {
    const target = node.config.targetShape;
    if (!Array.isArray(target) || !target.every((d) => typeof d === 'number' && Number.isInteger(d)))
      throw this.unsupported(node, `to ${JSON.stringify(target)}`);
    const from = this.g.shape(x);
    const n = from[0] as number;
    const count = from.slice(1).reduce((a, b) => a * b, 1);
    const known = (target as number[]).filter((d) => d !== -1).reduce((a, b) => a * b, 1);
    const dims = (target as number[]).map((d) => (d === -1 ? count / known : d));
    if (dims.reduce((a, b) => a * b, 1) !== count)
      throw this.unsupported(node, `from [${from.slice(1).join(', ')}] to [${dims.join(', ')}]`);
    const keras = from.length === 4 ? transpose(this.tape, x, [0, 2, 3, 1]) : x;
    const reshaped = reshape(this.tape, keras, [n, ...dims]);
    if (dims.length !== 3) return reshaped;
    // An image again: back to NCHW, unless it is [1, 1, C], which is the same memory either way.
    if (dims[0] === 1 && dims[1] === 1) return reshape(this.tape, reshaped, [n, dims[2] as number, 1, 1]);
    return transpose(this.tape, reshaped, [0, 3, 1, 2]);
  }
}
