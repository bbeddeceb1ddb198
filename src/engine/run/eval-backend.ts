import type { Dataset } from '../data/dataset';
import type { Classifier } from '../model/classifier';
import { readKerasGraph } from '../onnx/keras-graph';
import { OnnxClassifier } from '../onnx/onnx-classifier';
import type { InputNormalization } from '../tfjs/normalize-input';
import { UnsupportedModelError } from '../tfjs/unsupported-model-error';
import { fallbackBackend, selectEvalBackend, type EvalBackend, type EvalBackendChoice } from './backend-choice';
import type { LoadedModel } from './load-model';

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
