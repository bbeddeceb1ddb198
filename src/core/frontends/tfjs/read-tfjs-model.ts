import type { Diagnostic } from '../../ir/diagnostic';
import { YamlSource, type PathSegment } from '../../yaml/yaml-source';
import type { ReadResult } from '../read-result';
import { kerasTopologyProblem } from '../keras/check-topology';
import { kerasGraphToNetwork } from '../keras/graph-to-network';
import type { KerasGraph, KerasLayerNode, KerasWeight } from '../keras/keras-graph';

/** A TF.js LayersModel file: Keras topology plus a weights manifest. */
export function looksLikeTfjsModel(data: unknown): boolean {
  return (
    isRecord(data) &&
    isRecord(data.modelTopology) &&
    (Array.isArray(data.weightsManifest) || data.format === 'layers-model')
  );
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Inbound layer names, in Keras 2 (`[[["conv1", 0, 0, {}]]]`) or Keras 3 (`{args: [{keras_history: [...]}]}`) form. */
function inboundNames(nodes: unknown): string[] {
  if (!Array.isArray(nodes) || nodes.length === 0) return [];
  const first = nodes[0];
  if (Array.isArray(first)) return first.map((entry) => (Array.isArray(entry) ? String(entry[0]) : '')).filter(Boolean);
  if (isRecord(first)) {
    const names: string[] = [];
    const visit = (value: unknown): void => {
      if (Array.isArray(value)) value.forEach(visit);
      else if (isRecord(value)) {
        const history = isRecord(value.config) ? value.config.keras_history : undefined;
        if (Array.isArray(history)) names.push(String(history[0]));
        else Object.values(value).forEach(visit);
      }
    };
    visit(first.args);
    return names;
  }
  return [];
}

function inputShapeOf(config: Record<string, unknown>): (number | null)[] | undefined {
  const shape = config.batch_input_shape ?? config.batch_shape;
  if (Array.isArray(shape)) return shape.slice(1) as (number | null)[];
  if (Array.isArray(config.input_shape)) return config.input_shape as (number | null)[];
  return undefined;
}

const NON_TRAINABLE = /(moving_mean|moving_variance)(:0)?$/;

/** Reads a TF.js `model.json` (LayersModel): exact counts from the weights manifest, structure from the topology. */
export function readTfjsModel(file: string, text: string): ReadResult {
  const source = new YamlSource(file, text);
  const fail = (path: PathSegment[], message: string, code = 'RL103'): ReadResult => ({
    diagnostics: [{ file, range: source.rangeOf(path), severity: 'error', code, message }],
  });
  const syntax = source.syntaxErrors();
  if (syntax.length > 0) return { diagnostics: syntax.slice(0, 1) };
  const parsed = source.toJS();
  if ('error' in parsed) return { diagnostics: [parsed.error] };
  const data = parsed.value;
  if (!looksLikeTfjsModel(data) || !isRecord(data))
    return fail([], 'not a TF.js LayersModel: expected modelTopology and weightsManifest', 'RL105');
  const topology = data.modelTopology as Record<string, unknown>;
  const modelPath: PathSegment[] = isRecord(topology.model_config)
    ? ['modelTopology', 'model_config']
    : ['modelTopology'];
  const model = (isRecord(topology.model_config) ? topology.model_config : topology) as Record<string, unknown>;
  const className = String(model.class_name ?? '');
  const config = model.config;
  const layerList = Array.isArray(config)
    ? config
    : isRecord(config) && Array.isArray(config.layers)
      ? config.layers
      : undefined;
  const layersPath: PathSegment[] = Array.isArray(config)
    ? [...modelPath, 'config']
    : [...modelPath, 'config', 'layers'];
  if (!layerList) return fail(modelPath, `the model topology (${className || 'no class_name'}) has no layer list`);
  // A graph TF.js cannot build (a cycle, a missing layer) describes no model: no counts for it.
  const unbuildable = kerasTopologyProblem(topology);
  if (unbuildable) return fail(modelPath, unbuildable);

  // Weights by layer: "conv1/kernel" and "model/conv1/kernel" both belong to conv1.
  const weights = new Map<string, KerasWeight[]>();
  const manifest = Array.isArray(data.weightsManifest) ? data.weightsManifest : [];
  for (const group of manifest) {
    if (!isRecord(group) || !Array.isArray(group.weights)) continue;
    for (const w of group.weights) {
      if (!isRecord(w) || typeof w.name !== 'string' || !Array.isArray(w.shape)) continue;
      const parts = w.name.split('/');
      const layer = parts.length >= 2 ? (parts[parts.length - 2] ?? '') : '';
      const shape = w.shape.map(Number);
      if (shape.some((d) => !Number.isInteger(d) || d < 0))
        return fail(['weightsManifest'], `weight ${w.name} has an invalid shape ${JSON.stringify(w.shape)}`);
      weights.set(layer, [
        ...(weights.get(layer) ?? []),
        { name: w.name, shape, trainable: !NON_TRAINABLE.test(w.name) },
      ]);
    }
  }

  const sequential = className === 'Sequential';
  const nodes: KerasLayerNode[] = [];
  let inputShape: (number | null)[] | undefined;
  const notes: Diagnostic[] = [];
  layerList.forEach((raw: unknown, i: number) => {
    if (!isRecord(raw)) return;
    const layerConfig = isRecord(raw.config) ? raw.config : {};
    const name = String(raw.name ?? layerConfig.name ?? `layer_${i}`);
    inputShape ??= inputShapeOf(layerConfig);
    const previous = nodes[nodes.length - 1];
    nodes.push({
      name,
      className: String(raw.class_name ?? ''),
      config: layerConfig,
      inbound: sequential ? (previous ? [previous.name] : []) : inboundNames(raw.inbound_nodes),
      weights: weights.get(name) ?? (manifest.length > 0 ? [] : undefined),
      source: source.rangeOf([...layersPath, i]),
    });
  });
  if (
    inputShape &&
    inputShape.length === 3 &&
    typeof inputShape[0] === 'number' &&
    inputShape[0] < 8 &&
    typeof inputShape[2] === 'number' &&
    inputShape[2] > 8
  ) {
    notes.push({
      file,
      range: source.rangeOf(modelPath),
      severity: 'info',
      code: 'RL110',
      message:
        `input shape ${JSON.stringify(inputShape)} looks channels-first; Robustness Lens ` +
        `reads Keras models as channels-last`,
    });
  }
  const graph: KerasGraph = {
    name: String((isRecord(config) ? config.name : undefined) ?? file.replace(/^.*[\\/]/, '')),
    layers: nodes,
    inputShape,
    source: source.rangeOf(modelPath),
  };
  return { network: kerasGraphToNetwork(graph, file, 'tfjs'), diagnostics: notes };
}
