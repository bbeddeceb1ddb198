import * as os from 'node:os';
import type { Dataset } from '../data/dataset';
import type { Classifier } from '../model/classifier';
import { loadOnnxRuntime } from '../onnx/load-onnxruntime';
import { OnnxClassifier } from '../onnx/onnx-classifier';
import type { InputNormalization } from '../tfjs/normalize-input';
import { selectTfjsBackend, type SelectedBackend, type TfjsBackendChoice } from '../tfjs/select-backend';
import { UnsupportedModelError } from '../tfjs/unsupported-model-error';
import type { LoadedModel } from './load-model';

/** Where an evaluation's attacks run: a tfjs back end, or ONNX Runtime (evaluation only). */
export type EvalBackendChoice = TfjsBackendChoice | 'onnxruntime';

/**
 * Activates the back end. ONNX Runtime still needs tfjs: the model is built, initialised and
 * given its checkpoint there, and its weights handed over.
 */
export async function selectEvalBackend(choice: EvalBackendChoice | undefined): Promise<SelectedBackend> {
  if (choice !== 'onnxruntime') return selectTfjsBackend(choice);
  const ort = loadOnnxRuntime();
  const tfjs = await selectTfjsBackend(undefined);
  const threads = os.availableParallelism();
  return {
    name: 'onnxruntime',
    device: `CPU (onnxruntime-node ${ort.env.versions.node ?? ''}, ${threads} threads)`,
    notes: [`attacks run on ONNX Runtime; the weights are prepared on tfjs ${tfjs.name}`],
  };
}

/** The classifier the attacks run against: the loaded tfjs model, or its weights on ONNX Runtime. */
export async function attackedModel(choice: EvalBackendChoice | undefined, loaded: LoadedModel, data: Dataset, normalization: InputNormalization | undefined): Promise<Classifier & { dispose(): unknown }> {
  if (choice !== 'onnxruntime') return loaded.model;
  if (!loaded.network) throw new UnsupportedModelError(`${loaded.name}: the onnxruntime back end runs models of the architecture spec, Hydra, PyTorch and Keras files; a TF.js model.json runs on the tfjs back ends`);
  return OnnxClassifier.create(loaded.network, await loaded.model.getState(), {
    inputShape: data.shape,
    numClasses: data.numClasses,
    ...(loaded.normalized && normalization ? { normalization } : {}),
  });
}
