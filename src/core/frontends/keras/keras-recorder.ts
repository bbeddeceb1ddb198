import type { SourceRange } from '../../ir/source';
import type { KerasGraph, KerasLayerNode } from './keras-graph';
import type { KerasLayerValue, PyValue } from '../pytorch/values';

/**
 * Keras layer constructors' positional parameters, so `Conv2D(64, 3, strides=2)` binds as
 * Keras binds it. Values are kept as the config Keras would serialise.
 */
const POSITIONAL: Record<string, readonly string[]> = {
  Conv2D: [
    'filters',
    'kernel_size',
    'strides',
    'padding',
    'data_format',
    'dilation_rate',
    'groups',
    'activation',
    'use_bias',
  ],
  DepthwiseConv2D: [
    'kernel_size',
    'strides',
    'padding',
    'depth_multiplier',
    'data_format',
    'dilation_rate',
    'activation',
    'use_bias',
  ],
  Dense: ['units', 'activation', 'use_bias'],
  BatchNormalization: ['axis', 'momentum', 'epsilon', 'center', 'scale'],
  LayerNormalization: ['axis', 'epsilon', 'center', 'scale'],
  Activation: ['activation'],
  MaxPooling2D: ['pool_size', 'strides', 'padding'],
  AveragePooling2D: ['pool_size', 'strides', 'padding'],
  Dropout: ['rate'],
  Reshape: ['target_shape'],
  ZeroPadding2D: ['padding'],
  Concatenate: ['axis'],
};

const DEFAULTS: Record<string, Record<string, unknown>> = {
  Conv2D: { strides: 1, padding: 'valid', dilation_rate: 1, groups: 1, activation: null, use_bias: true },
  DepthwiseConv2D: {
    strides: 1,
    padding: 'valid',
    depth_multiplier: 1,
    dilation_rate: 1,
    activation: null,
    use_bias: true,
  },
  Dense: { activation: null, use_bias: true },
  BatchNormalization: { center: true, scale: true },
  MaxPooling2D: { pool_size: 2, strides: null, padding: 'valid' },
  AveragePooling2D: { pool_size: 2, strides: null, padding: 'valid' },
};

function toConfig(value: PyValue): unknown {
  switch (value.kind) {
    case 'number':
      return value.value;
    case 'string':
      return value.value;
    case 'bool':
      return value.value;
    case 'none':
      return null;
    case 'list':
      return value.items.map(toConfig);
    default:
      return undefined;
  }
}

/** Keras' own class-name to layer-name rule (Conv2D -> conv2d, ReLU -> re_lu). */
function snake(name: string): string {
  return name
    .replace(/(.)([A-Z][a-z0-9]+)/g, '$1_$2')
    .replace(/([a-z])([A-Z])/g, '$1_$2')
    .toLowerCase();
}

/** Records the Keras layer graph a Python file builds (functional or Sequential API). */
export class KerasRecorder {
  private readonly nodes: KerasLayerNode[] = [];
  private readonly counters = new Map<string, number>();
  private readonly inputShapes = new Map<string, (number | null)[]>();

  createLayer(
    className: string,
    positional: PyValue[],
    keywords: Map<string, PyValue>,
    source: SourceRange | undefined,
  ): KerasLayerValue {
    const config: Record<string, unknown> = { ...(DEFAULTS[className] ?? {}) };
    (POSITIONAL[className] ?? []).forEach((key, i) => {
      const value = positional[i];
      if (value) config[key] = toConfig(value);
    });
    for (const [key, value] of keywords) config[key] = toConfig(value);
    const base = snake(className);
    const count = this.counters.get(base) ?? 0;
    this.counters.set(base, count + 1);
    const name = typeof config.name === 'string' ? config.name : count === 0 ? base : `${base}_${count}`;
    return { className, name, config, source, calls: 0 };
  }

  input(shape: PyValue | undefined, name: string | undefined, source: SourceRange | undefined): PyValue {
    const config = toConfig(shape ?? { kind: 'none' });
    const layerName = name ?? this.uniqueName('input_layer');
    const dims = Array.isArray(config) ? config.map((d) => (typeof d === 'number' ? d : null)) : [];
    this.nodes.push({
      name: layerName,
      className: 'InputLayer',
      config: { batch_input_shape: [null, ...dims] },
      inbound: [],
      source,
    });
    this.inputShapes.set(layerName, dims);
    return { kind: 'kerasTensor', node: layerName };
  }

  private uniqueName(base: string): string {
    const count = this.counters.get(base) ?? 0;
    this.counters.set(base, count + 1);
    return count === 0 ? base : `${base}_${count}`;
  }

  /** Calling a layer on tensors adds a node; a second call of the same layer shares its weights. */
  call(layer: KerasLayerValue, inputs: PyValue[]): PyValue {
    const inbound = inputs.flatMap((v) =>
      v.kind === 'kerasTensor'
        ? [v.node]
        : v.kind === 'list'
          ? v.items.flatMap((i) => (i.kind === 'kerasTensor' ? [i.node] : []))
          : [],
    );
    layer.calls++;
    const name = layer.calls === 1 ? layer.name : `${layer.name}__call${layer.calls}`;
    this.nodes.push({
      name,
      className: layer.calls === 1 ? layer.className : 'SharedLayerCall',
      config: layer.config,
      inbound,
      source: layer.source,
    });
    return { kind: 'kerasTensor', node: name };
  }

  /** keras.Model(inputs, outputs): the nodes that lead to the outputs. */
  functional(outputs: PyValue | undefined, name: string, source: SourceRange | undefined): KerasGraph | undefined {
    const ends =
      outputs?.kind === 'kerasTensor'
        ? [outputs.node]
        : outputs?.kind === 'list'
          ? outputs.items.flatMap((i) => (i.kind === 'kerasTensor' ? [i.node] : []))
          : [];
    if (ends.length === 0) return undefined;
    const byName = new Map(this.nodes.map((n) => [n.name, n]));
    const keep = new Set<string>();
    const visit = (n: string): void => {
      if (keep.has(n)) return;
      keep.add(n);
      for (const from of byName.get(n)?.inbound ?? []) visit(from);
    };
    ends.forEach(visit);
    const layers = this.nodes.filter((n) => keep.has(n.name));
    const input = layers.find((n) => n.className === 'InputLayer');
    return { name, layers, inputShape: input ? this.inputShapes.get(input.name) : undefined, source };
  }

  /** keras.Sequential([...]): each layer takes the previous one's output. */
  sequential(items: PyValue[], name: string, source: SourceRange | undefined): KerasGraph {
    const layers: KerasLayerNode[] = [];
    let inputShape: (number | null)[] | undefined;
    for (const item of items) {
      if (item.kind === 'kerasTensor') {
        inputShape = this.inputShapes.get(item.node);
        continue;
      }
      if (item.kind !== 'kerasLayer') continue;
      const shape = item.layer.config.input_shape;
      if (Array.isArray(shape)) inputShape ??= shape.map((d) => (typeof d === 'number' ? d : null));
      const previous = layers[layers.length - 1];
      layers.push({
        name: item.layer.name,
        className: item.layer.className,
        config: item.layer.config,
        inbound: previous ? [previous.name] : [],
        source: item.layer.source,
      });
    }
    return { name, layers, inputShape, source };
  }
}
