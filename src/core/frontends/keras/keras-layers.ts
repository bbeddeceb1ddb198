import { known, unknown, type Fact } from '../../ir/fact';
import type { ActivationFunction, Layer } from '../../ir/layers';
import { activation, conv, flatten, linear, norm, other, pool } from '../../build/layers';
import { configNumber, configPair, type KerasLayerNode } from './keras-graph';

/** Keras activation names (strings in configs, `activation=` arguments) in the IR's terms. */
export function kerasActivation(name: unknown): ActivationFunction | null | undefined {
  if (typeof name !== 'string') return undefined;
  const map: Record<string, ActivationFunction | null> = {
    linear: null,
    relu: 'relu',
    relu6: 'relu6',
    swish: 'silu',
    silu: 'silu',
    gelu: 'gelu',
    sigmoid: 'sigmoid',
    tanh: 'tanh',
    elu: 'elu',
    softplus: 'softplus',
    mish: 'mish',
    hard_swish: 'hardswish',
    hard_silu: 'hardswish',
    leaky_relu: 'leaky-relu',
  };
  return name in map ? map[name] : undefined;
}

/** Layers that only route tensors: no IR layer, no parameters. */
export const STRUCTURAL = new Set([
  'InputLayer',
  'Add',
  'Multiply',
  'Reshape',
  'Permute',
  'Lambda',
  'TFOpLambda',
  'Rescaling',
  'Normalization',
]);

/**
 * Parameter-free layers that change a feature map's size in a way the IR's layer-by-layer shape
 * walk cannot follow (channels joined, borders added or cut): they become an `other` layer,
 * so the shapes and MACs after them read unknown rather than wrong.
 */
const RESHAPING = new Set(['Concatenate', 'ZeroPadding2D', 'Cropping2D', 'UpSampling2D']);

export interface BuiltKerasLayer {
  /** The IR layers (a conv with an inline activation becomes two). */
  readonly layers: Layer[];
  readonly outChannels?: number;
  /** The activation applied by this layer (inline or an activation layer). */
  readonly activation?: ActivationFunction | null;
}

function product(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/**
 * One Keras layer as IR layers, given its input channel count (channels last). Where the file
 * lists the layer's weights, the counts come from their shapes (exact); otherwise from the config.
 */
export function buildKerasLayer(node: KerasLayerNode, inChannels: number | undefined): BuiltKerasLayer {
  const c = node.config;
  const at = { name: node.name, source: node.source };
  const inFact: Fact<number> =
    inChannels !== undefined ? known(inChannels) : unknown('the input channels are not known');
  const weights = node.weights;
  const trainable = weights ? weights.filter((w) => w.trainable).reduce((s, w) => s + product(w.shape), 0) : undefined;
  const frozen = weights ? weights.filter((w) => !w.trainable).reduce((s, w) => s + product(w.shape), 0) : undefined;
  const exact = <L extends Layer>(layer: L): L =>
    trainable === undefined
      ? layer
      : { ...layer, params: known(trainable), ...(frozen ? { nonTrainable: frozen } : {}) };
  const inline = kerasActivation(c.activation);
  const withActivation = (layer: Layer, out: number | undefined): BuiltKerasLayer => ({
    layers: inline
      ? [layer, activation({ name: `${node.name}/${String(c.activation)}`, fn: inline, source: node.source })]
      : [layer],
    outChannels: out,
    activation: inline ?? undefined,
  });
  switch (node.className) {
    case 'Conv2D': {
      const filters = configNumber(c, 'filters');
      const kernel = configPair(c, 'kernel_size', 1);
      const dilation = configPair(c, 'dilation_rate', 1);
      const groups = configNumber(c, 'groups') ?? 1;
      const same = c.padding === 'same';
      return withActivation(
        exact(
          conv({
            ...at,
            inChannels: inFact,
            outChannels: filters ?? unknown('filters is missing'),
            kernel,
            stride: configPair(c, 'strides', 1),
            padding: same
              ? [Math.floor((kernel[0] - 1) / 2) * dilation[0], Math.floor((kernel[1] - 1) / 2) * dilation[1]]
              : 0,
            dilation,
            groups,
            bias: c.use_bias !== false,
          }),
        ),
        filters,
      );
    }
    case 'DepthwiseConv2D': {
      const multiplier = configNumber(c, 'depth_multiplier') ?? 1;
      const kernel = configPair(c, 'kernel_size', 1);
      const out = inChannels !== undefined ? inChannels * multiplier : undefined;
      return withActivation(
        exact(
          conv({
            ...at,
            inChannels: inFact,
            outChannels: out ?? unknown('the input channels are not known'),
            kernel,
            stride: configPair(c, 'strides', 1),
            padding: c.padding === 'same' ? [Math.floor((kernel[0] - 1) / 2), Math.floor((kernel[1] - 1) / 2)] : 0,
            dilation: configPair(c, 'dilation_rate', 1),
            groups: inChannels ?? unknown('the input channels are not known'),
            bias: c.use_bias !== false,
          }),
        ),
        out,
      );
    }
    case 'Dense': {
      const units = configNumber(c, 'units');
      return withActivation(
        exact(
          linear({
            ...at,
            inFeatures: inFact,
            outFeatures: units ?? unknown('units is missing'),
            bias: c.use_bias !== false,
          }),
        ),
        units,
      );
    }
    case 'BatchNormalization': {
      const affine = c.scale !== false || c.center !== false;
      const layer = norm({ ...at, norm: 'batch', channels: inFact, affine });
      // Keras learns gamma (scale) and beta (center) separately; moving mean and variance are not trained.
      const learned =
        inChannels !== undefined
          ? known((c.scale !== false ? inChannels : 0) + (c.center !== false ? inChannels : 0))
          : unknown<number>('the input channels are not known');
      const built =
        trainable === undefined
          ? { ...layer, params: learned, ...(inChannels !== undefined ? { nonTrainable: 2 * inChannels } : {}) }
          : exact(layer);
      return { layers: [built], outChannels: inChannels };
    }
    case 'LayerNormalization':
      return { layers: [exact(norm({ ...at, norm: 'layer', channels: inFact }))], outChannels: inChannels };
    case 'Activation': {
      const fn = kerasActivation(c.activation);
      if (fn === undefined)
        return {
          layers: [other({ ...at, className: `Activation(${String(c.activation)})` })],
          outChannels: inChannels,
        };
      return { layers: fn ? [activation({ ...at, fn })] : [], outChannels: inChannels, activation: fn };
    }
    case 'ReLU':
      return { layers: [activation({ ...at, fn: 'relu' })], outChannels: inChannels, activation: 'relu' };
    case 'LeakyReLU':
      return { layers: [activation({ ...at, fn: 'leaky-relu' })], outChannels: inChannels, activation: 'leaky-relu' };
    case 'ELU':
      return { layers: [activation({ ...at, fn: 'elu' })], outChannels: inChannels, activation: 'elu' };
    case 'PReLU': {
      // Keras' PReLU learns one slope per input element unless axes are shared.
      const layer = activation({
        ...at,
        fn: 'prelu',
        learnedCount: trainable !== undefined ? known(trainable) : unknown('the PReLU slope shape needs the weights'),
      });
      return { layers: [layer], outChannels: inChannels, activation: 'prelu' };
    }
    case 'MaxPooling2D':
    case 'AveragePooling2D': {
      const size = configPair(c, 'pool_size', 2);
      const strides = c.strides === null || c.strides === undefined ? size : configPair(c, 'strides', size[0]);
      return {
        layers: [
          pool({
            ...at,
            pool: node.className === 'MaxPooling2D' ? 'max' : 'avg',
            kernel: size,
            stride: strides,
            padding: c.padding === 'same' ? [Math.floor((size[0] - 1) / 2), Math.floor((size[1] - 1) / 2)] : 0,
          }),
        ],
        outChannels: inChannels,
      };
    }
    case 'GlobalAveragePooling2D':
    case 'GlobalMaxPooling2D': {
      const globalPool = pool({
        ...at,
        pool: node.className === 'GlobalMaxPooling2D' ? 'max' : 'avg',
        outputSize: [1, 1],
      });
      // Without keepdims the pooled map is also flattened.
      return {
        layers:
          c.keepdims === true
            ? [globalPool]
            : [globalPool, flatten({ name: `${node.name}/flatten`, source: node.source })],
        outChannels: inChannels,
      };
    }
    case 'Flatten':
      return { layers: [flatten(at)], outChannels: undefined };
    case 'Dropout':
    case 'SpatialDropout2D':
      return { layers: [other({ ...at, className: 'Dropout' })], outChannels: inChannels };
    default:
      if (STRUCTURAL.has(node.className)) return { layers: [], outChannels: inChannels };
      if (RESHAPING.has(node.className))
        return { layers: [other({ ...at, className: node.className })], outChannels: inChannels };
      if (trainable !== undefined)
        return {
          layers: [
            {
              ...other({ ...at, className: node.className }),
              params: known(trainable),
              ...(frozen ? { nonTrainable: frozen } : {}),
            },
          ],
          outChannels: undefined,
        };
      return {
        layers: [
          {
            ...other({ ...at, className: node.className }),
            params: unknown(`Keras layer ${node.className} is not supported`),
          },
        ],
        outChannels: undefined,
      };
  }
}
