import * as tfl from '@tensorflow/tfjs-layers';
import type { ModelState } from '../model/classifier';
import type { KerasGraph, KerasNode, KerasWeight } from './keras-graph-data';
import { readModelJson } from '../tfjs/model-json-files';
import { loadBudgetSeconds, withWatchdog } from '../util/watchdog';
import { UnsupportedModelError } from '../tfjs/unsupported-model-error';

export { SOFTMAX_LOG_FLOOR, type KerasGraph, type KerasNode, type KerasWeight } from './keras-graph-data';

const key = (t: tfl.SymbolicTensor): string => `t${t.id}`;

/**
 * Walks the model's layers (already in topological order) and every application of each, and
 * reads each weight from `state` by its tfjs name (as the tfjs classifier's `getState()` names
 * it), else from the model's own variables.
 */
export function kerasGraphOf(model: tfl.LayersModel, state?: ModelState): KerasGraph {
  if (model.inputs.length !== 1 || model.outputs.length !== 1) {
    throw new UnsupportedModelError(
      `${model.name}: the onnxruntime back end needs one image input and one output; it ` +
        `has ${model.inputs.length} and ${model.outputs.length}`,
    );
  }
  const [input] = model.inputs as [tfl.SymbolicTensor];
  const [output] = model.outputs as [tfl.SymbolicTensor];
  const known = new Set<string>([key(input)]);
  const nodes: KerasNode[] = [];
  for (const layer of model.layers) {
    const className = layer.getClassName();
    if (className === 'InputLayer') continue;
    if (layer instanceof tfl.LayersModel) {
      throw new UnsupportedModelError(
        `${layer.name}: a nested model (${className}) is not built by the onnxruntime ` +
          `back end; the tfjs back end runs it`,
      );
    }
    const weights = new Map<string, KerasWeight>();
    for (const w of layer.weights) {
      const short = w.originalName.slice(w.originalName.lastIndexOf('/') + 1);
      const saved = state?.tensors.get(w.originalName);
      // Weights given are all the weights: one missing or of another shape is an error, never the
      // throwaway initial value tfjs gave the layer.
      if (state && !saved) throw new Error(`the weights have no ${w.originalName}`);
      if (saved && (saved.shape.length !== w.shape.length || saved.shape.some((d, i) => d !== w.shape[i])))
        throw new Error(
          `the weights' ${w.originalName} is [${saved.shape.join(', ')}], the layer's [${w.shape.join(', ')}]`,
        );
      weights.set(
        short,
        saved
          ? { shape: saved.shape, data: saved.data }
          : { shape: w.shape.map((d) => d ?? 0), data: Float32Array.from(w.read().dataSync()) },
      );
    }
    const config = layer.getConfig() as Record<string, unknown>;
    // A layer applied more than once (shared weights) has one inbound node per application; the
    // ones that belong to this model are those fed by values the model computes.
    for (const node of layer.inboundNodes) {
      const inputs = node.inputTensors.map(key);
      if (inputs.length === 0 || !inputs.every((i) => known.has(i))) continue;
      if (node.outputTensors.length !== 1) {
        throw new UnsupportedModelError(
          `${layer.name}: ${className} with ${node.outputTensors.length} outputs is not ` +
            `built by the onnxruntime back end; the tfjs back end runs it`,
        );
      }
      const out = key(node.outputTensors[0] as tfl.SymbolicTensor);
      if (known.has(out)) continue;
      known.add(out);
      nodes.push({ name: layer.name, className, config, inputs, output: out, weights });
    }
  }
  if (!known.has(key(output)))
    throw new UnsupportedModelError(
      `${model.name}: its output could not be traced back to its input through its layers`,
    );
  // The same test as layers-classifier.ts: the last layer's activation.
  const last = model.layers[model.layers.length - 1]?.getConfig() as { activation?: unknown } | undefined;
  return {
    name: model.name,
    input: key(input),
    output: key(output),
    nodes,
    softmaxOutput: last?.activation === 'softmax',
    paramCount: model.trainableWeights.reduce((n, w) => n + w.shape.reduce<number>((a, b) => a * (b ?? 1), 1), 0),
    inputDims: [...input.shape],
    outputDims: [...output.shape],
  };
}

/**
 * The graph of a `model.json` with the weights of `state` (the loaded tfjs model's `getState()`,
 * so a checkpoint set on it is what runs). Only the topology is read from the file: tfjs builds
 * the layers (with throwaway initial weights), exactly as it does when it loads the model.
 */
export async function readKerasGraph(modelJson: string, state: ModelState): Promise<KerasGraph> {
  const json = readModelJson(modelJson);
  const { modelTopology } = json;
  if (!modelTopology) throw new UnsupportedModelError(`${modelJson} is not a TF.js layers model (no modelTopology)`);
  const handler = { load: async () => ({ modelTopology, format: json.format ?? 'layers-model' }) };
  const model = await withWatchdog(`reading the layers of ${modelJson}`, loadBudgetSeconds(), () =>
    tfl.loadLayersModel(handler),
  );
  try {
    return kerasGraphOf(model, state);
  } finally {
    model.dispose();
  }
}
