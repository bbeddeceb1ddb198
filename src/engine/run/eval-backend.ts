import type { Dataset } from '../data/dataset';
import type { Classifier, ModelState } from '../model/classifier';
import { readKerasGraph, type KerasGraph } from '../onnx/keras-graph';
import { CheckpointError } from '../train/checkpoint';
import { OnnxClassifier } from '../onnx/onnx-classifier';
import type { InputNormalization } from '../tfjs/normalize-input';
import { UnsupportedModelError } from '../tfjs/unsupported-model-error';
import { fallbackBackend, selectEvalBackend, type EvalBackend, type EvalBackendChoice } from './backend-choice';
import { tfjsFromPlan, type LoadedModel } from './load-model';
import type { IrModelPlan, ModelJsonPlan } from './model-plan';

export { selectEvalBackend, type EvalBackend, type EvalBackendChoice };

export type AttackedModel = Classifier & { dispose(): unknown };

/**
 * The classifier the attacks run against: the loaded tfjs model, or its weights on ONNX Runtime
 * (a network of the IR, or a TF.js model.json's layers). An automatic choice of ONNX Runtime falls
 * back to the loaded tfjs model when the graph emitter cannot build it, and says so in `backend`.
 */
export async function attackedModel(
  backend: EvalBackend,
  loaded: LoadedModel,
  data: Dataset,
  normalization: InputNormalization | undefined,
): Promise<{ model: AttackedModel; backend: EvalBackend }> {
  if (!backend.onnx) return { model: loaded.model, backend };
  const options = {
    inputShape: data.shape,
    numClasses: data.numClasses,
    executionProvider: backend.onnx.provider,
    threads: backend.onnx.threads,
  };
  try {
    if (loaded.modelJson) {
      const graph = await readKerasGraph(loaded.modelJson, await loaded.model.getState());
      return { model: OnnxClassifier.fromKerasGraph(graph, options), backend };
    }
    if (!loaded.network)
      throw new UnsupportedModelError(
        `${loaded.name}: the onnxruntime back end has neither its network nor its model.json`,
      );
    const model = OnnxClassifier.create(loaded.network, await loaded.model.getState(), {
      ...options,
      ...(loaded.normalized && normalization ? { normalization } : {}),
    });
    return { model, backend };
  } catch (error) {
    if (!(error instanceof UnsupportedModelError) || !backend.automatic) throw error;
    return { model: loaded.model, backend: fallbackBackend(backend, error.message) };
  }
}

/**
 * A model of the IR from host weights (its seeded initial ones, a checkpoint's or a PyTorch
 * file's, already checked to fit: model-plan.ts's stateMisfit): on ONNX Runtime straight from
 * them, with no tfjs model in between, else on tfjs. An automatic choice of ONNX Runtime falls
 * back to tfjs for a model the graph emitter cannot build.
 */
export async function attackedIrModel(
  backend: EvalBackend,
  plan: IrModelPlan,
  state: ModelState,
  data: Dataset,
  normalization: InputNormalization | undefined,
): Promise<{ model: AttackedModel; backend: EvalBackend }> {
  if (!backend.onnx) return { model: await tfjsFromPlan(plan, data, normalization, state), backend };
  try {
    const model = OnnxClassifier.create(plan.network, state, {
      inputShape: data.shape,
      numClasses: data.numClasses,
      executionProvider: backend.onnx.provider,
      threads: backend.onnx.threads,
      ...(normalization ? { normalization } : {}),
    });
    return { model, backend };
  } catch (error) {
    if (!(error instanceof UnsupportedModelError) || !backend.automatic) throw error;
    return {
      model: await tfjsFromPlan(plan, data, normalization, state),
      backend: fallbackBackend(backend, error.message),
    };
  }
}

/**
 * A TF.js model.json on ONNX Runtime from weights held on the host (its own, read by
 * weights/model-json-weights.ts, or a training run's checkpoint), checked against the data. Only
 * its topology is read through tfjs-layers. Throws UnsupportedModelError for layers the emitter
 * cannot build.
 */
export async function attackedModelJson(
  backend: EvalBackend,
  plan: ModelJsonPlan,
  state: ModelState,
  data: Dataset,
): Promise<{ model: AttackedModel; backend: EvalBackend; paramCount: number }> {
  if (!backend.onnx) throw new Error('attackedModelJson runs on ONNX Runtime only');
  const file = plan.modelJson;
  let graph: KerasGraph;
  try {
    graph = await readKerasGraph(file, state);
  } catch (error) {
    if (error instanceof UnsupportedModelError || !(error instanceof Error)) throw error;
    throw new CheckpointError(`${file}: its weights do not fit its layers: ${error.message}`);
  }
  const [, h, w, c] = graph.inputDims;
  const s = data.shape;
  if (h !== s.height || w !== s.width || c !== s.channels) {
    throw new UnsupportedModelError(
      `${file} takes ${h}x${w}x${c} images but ${data.name} has ${s.height}x${s.width}x${s.channels}`,
    );
  }
  const classes = graph.outputDims[graph.outputDims.length - 1];
  if (classes !== data.numClasses)
    throw new UnsupportedModelError(`${file} has ${classes} output classes but ${data.name} has ${data.numClasses}`);
  const model = OnnxClassifier.fromKerasGraph(graph, {
    inputShape: data.shape,
    numClasses: data.numClasses,
    executionProvider: backend.onnx.provider,
    threads: backend.onnx.threads,
  });
  return { model, backend, paramCount: graph.paramCount };
}
