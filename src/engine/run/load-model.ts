import type { Network } from '../../core';
import type { Dataset } from '../data/dataset';
import type { ModelState, TrainableClassifier } from '../model/classifier';
import type { InputNormalization } from '../tfjs/normalize-input';
import { TfjsClassifier } from '../tfjs/tfjs-classifier';
import { LayersClassifier } from '../tfjs/layers-classifier';
import { UnsupportedModelError } from '../tfjs/unsupported-model-error';
import { planModel, type IrModelPlan, type ModelJsonPlan, type ModelPlan } from './model-plan';

// Kept here too for the callers that read a model file and then build it on tfjs.
export { normalizationFor, readNetwork } from './model-plan';

/** A model of the IR on tfjs, starting from `state` (its seeded initial weights, or a checkpoint's). */
export async function tfjsFromPlan(
  plan: IrModelPlan,
  data: Dataset,
  normalization: InputNormalization | undefined,
  state: ModelState = plan.initial,
): Promise<TfjsClassifier> {
  // tfjs's own draws (ParameterStore's seeds) are replaced at once by the host's, so a seed gives
  // the same start on tfjs, ONNX Runtime and the PyTorch trainer.
  const model = new TfjsClassifier(plan.network, {
    inputShape: data.shape,
    numClasses: data.numClasses,
    seed: 0,
    ...(normalization ? { normalization } : {}),
  });
  try {
    await model.setState(state);
  } catch (error) {
    model.dispose();
    throw error;
  }
  return model;
}

/** A TF.js layers model (model.json) with its weights, checked against the data. */
export async function layersFromPlan(plan: ModelJsonPlan, data: Dataset): Promise<LayersClassifier> {
  const file = plan.modelJson;
  const model = await LayersClassifier.load(file);
  const s = model.inputShape;
  if (s.height !== data.shape.height || s.width !== data.shape.width || s.channels !== data.shape.channels) {
    model.dispose();
    throw new UnsupportedModelError(
      `${file} takes ${s.height}x${s.width}x${s.channels} images but ${data.name} has ` +
        `${data.shape.height}x${data.shape.width}x${data.shape.channels}`,
    );
  }
  if (model.numClasses !== data.numClasses) {
    model.dispose();
    throw new UnsupportedModelError(
      `${file} has ${model.numClasses} output classes but ${data.name} has ${data.numClasses}`,
    );
  }
  return model;
}

export interface LoadedModel {
  readonly model: TrainableClassifier;
  readonly name: string;
  /** Whether the engine's input normalisation applies (a TF.js model brings its own). */
  readonly normalized: boolean;
  /** Parameters of the stem, each stage and the head, and the file's budget: for the results panel. */
  readonly parts?: readonly { readonly name: string; readonly params: number }[];
  readonly budget?: number;
  /** The IR the model was built from (absent for a TF.js model.json), for other back ends to build it too. */
  readonly network?: Network;
  /** A TF.js model.json's path, for other back ends to read its layers from. */
  readonly modelJson?: string;
}

/** A loaded tfjs model from its plan (model-plan.ts). */
export async function loadFromPlan(
  plan: ModelPlan,
  data: Dataset,
  normalization: InputNormalization | undefined,
): Promise<LoadedModel> {
  if (plan.kind === 'model-json') {
    return { model: await layersFromPlan(plan, data), name: plan.name, normalized: false, modelJson: plan.modelJson };
  }
  return {
    model: await tfjsFromPlan(plan, data, normalization),
    name: plan.name,
    normalized: plan.normalized,
    parts: plan.parts,
    network: plan.network,
    ...(plan.budget !== undefined ? { budget: plan.budget } : {}),
  };
}

/** A TF.js layers model (model.json) is loaded with its weights; any other file is built from the IR on tfjs. */
export async function loadModel(
  file: string,
  name: string | undefined,
  data: Dataset,
  normalization: InputNormalization | undefined,
  seed: number,
): Promise<LoadedModel> {
  return loadFromPlan(await planModel(file, name, data, normalization, seed), data, normalization);
}
