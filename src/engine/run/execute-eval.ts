import * as fs from 'node:fs';
import * as path from 'node:path';
import { FileReadError, READ_LIMITS, readTextBounded } from '../../core/workspace/read-bounded';
import type { ThreatModel } from '../attacks/attack';
import { attackByName, type AttackName } from '../attacks/autoattack';
import { autoAttackVersion, type AutoAttackVersion } from '../attacks/autoattack-versions';
import { take, type Dataset } from '../data/dataset';
import { openDataset } from '../data/open-dataset';
import type { InputNormalization } from '../tfjs/normalize-input';
import { CheckpointError, readCheckpoint } from '../train/checkpoint';
import { UnsupportedModelError } from '../tfjs/unsupported-model-error';
import { readModelJsonWeights } from '../weights/model-json-weights';
import { fallbackBackend } from './backend-choice';
import { loadState } from '../train/training-checkpoint';
import { DatasetError } from '../data/dataset-error';
import { checkFiniteWeights } from './non-finite';
import { isTorchWeightsFile, readTorchWeights, type TorchWeights } from '../weights/torch-weights';
import { attackDataset } from './attack-loop';
import { askedNormalizationNote, chooseNormalization } from './input-normalization';
import {
  attackedIrModel,
  attackedModel,
  attackedModelJson,
  selectEvalBackend,
  type AttackedModel,
  type EvalBackend,
  type EvalBackendChoice,
} from './eval-backend';
import { CHECKPOINT_FILE } from './execute-train';
import { loadFromPlan } from './load-model';
import { modelJsonWeightsError, planModel, startingState, stateMisfit, type ModelPlan } from './model-plan';
import type { RunListener, RunSummary } from './run-messages';
import { describeEnvironment, RunDirectory } from './run-store';
import type { TorchEvalSource } from './torch-eval-source';

export interface EvalRunOptions {
  /** The model file; optional when `weights` names a training run, whose model is used. */
  readonly modelFile?: string;
  readonly modelName?: string;
  /** A training run's folder or checkpoint file, or a PyTorch .pt / .safetensors file, whose weights to evaluate. */
  readonly weights?: string;
  readonly data: string;
  readonly backend?: EvalBackendChoice;
  readonly workspace: string;
  readonly threat: ThreatModel;
  readonly attacks: readonly AttackName[];
  /** Test images evaluated (the first n, class-balanced). */
  readonly samples: number;
  readonly batchSize: number;
  readonly seed: number;
  readonly pgdSteps?: number;
  /** AutoAttack's version; replaces `attacks` when given. */
  readonly version?: AutoAttackVersion;
  /** Mean/std put in front of the model; for a PyTorch checkpoint without its own buffers. */
  readonly normalize?: InputNormalization;
  /** Run on the user's own PyTorch (the torch back end) instead: the worker runs executeTorchEval. */
  readonly torch?: TorchEvalSource;
}

/** Clean and robust accuracy of a model on the first `samples` test images under a list of attacks. */
export async function executeEval(
  options: EvalRunOptions,
  listener: RunListener,
  isCancelled: () => boolean,
): Promise<RunSummary> {
  const run = RunDirectory.create(options.workspace, 'eval');
  const chosen = await selectEvalBackend(options.backend);
  const isTorch = options.weights !== undefined && isTorchWeightsFile(options.weights);
  const torchWeights = isTorch && options.weights ? readTorchWeights(options.weights) : undefined;
  const trained = options.weights && !torchWeights ? locateWeights(options.weights) : undefined;
  const modelFile = options.modelFile ?? trained?.modelFile;
  if (!modelFile) {
    const hint = torchWeights ? ` for ${torchWeights.file}` : ', or --weights with a training run folder';
    throw new Error(`give a model file${hint}`);
  }
  const split = openDataset(options.data);
  const data = take(split.test, options.samples);
  // An accuracy over no images is no result; saying 0% or 100% would be a number we cannot prove.
  if (data.n === 0) throw new DatasetError(`${options.data} has no test images to evaluate`, options.data);
  if (trained && options.normalize)
    throw new Error('a training run keeps the input normalisation it was trained with; leave --normalize out');
  const chosenNorm = trained
    ? { normalization: trained.normalization }
    : chooseNormalization(split.test, torchWeights, options.normalize);
  const normalization = chosenNorm.normalization;
  const plan = await planModel(modelFile, options.modelName ?? trained?.modelName, data, normalization, options.seed);
  // A model.json is run as TF.js built it, preprocessing and all: the engine has nowhere to put a mean/std.
  if (plan.kind === 'model-json' && options.normalize)
    throw new UnsupportedModelError(
      `${modelFile}: --normalize applies to models the engine builds, not a TF.js model.json`,
    );
  const weightsSource = trained?.checkpoint ?? torchWeights?.file ?? modelFile;
  let attacked: AttackedModel | undefined;
  try {
    const ready = await evaluatedModel(chosen, plan, data, normalization, { trained, torchWeights, weightsSource });
    attacked = ready.model;
    const paramCount = ready.paramCount;
    // Announced once the model is built: an automatic choice of ONNX Runtime may have fallen back to tfjs.
    const backend = ready.backend;
    const untrained = !trained && !torchWeights;
    // The weights and the normalisation in front of them are said at the start: both change every number.
    const notes = [...backend.notes];
    if (torchWeights) {
      const how = torchWeights.notes.length ? ` (${torchWeights.notes.join('; ')})` : '';
      notes.push(`PyTorch weights from ${torchWeights.file}${how}`);
      if (chosenNorm.note) notes.push(chosenNorm.note);
    }
    if (options.normalize && !trained) notes.push(askedNormalizationNote(options.normalize));
    if (untrained) notes.push('no --weights given: the model has its random initial weights');
    listener({
      type: 'started',
      runId: run.id,
      runDir: run.dir,
      backend: backend.name,
      device: backend.device,
      notes,
    });
    const attacks = options.version
      ? autoAttackVersion(options.version).attacks
      : options.attacks.map((a) => attackByName(a, options.pgdSteps));
    const weightsFile = trained?.checkpoint ?? torchWeights?.file ?? null;
    const modelInfo = {
      file: path.resolve(modelFile),
      name: plan.name,
      params: paramCount,
      parts: plan.kind === 'ir' ? plan.parts : [],
      budget: (plan.kind === 'ir' ? plan.budget : undefined) ?? null,
      weights: weightsFile,
      normalization: normalization ?? null,
    };
    run.writeJson('config.json', {
      kind: 'eval',
      model: modelInfo,
      data: options.data,
      threat: options.threat,
      attacks: attacks.map((a) => a.name),
      version: options.version ?? null,
      samples: data.n,
      seed: options.seed,
    });
    run.writeJson('environment.json', describeEnvironment(backend.name, backend.device, notes));

    const { status, evaluation } = await attackDataset(
      attacked,
      data,
      {
        threat: options.threat,
        attacks,
        batchSize: options.batchSize,
        seed: options.seed,
        untrained,
        weightsSource,
      },
      listener,
      isCancelled,
    );
    const done = evaluation.samples;
    const summary: RunSummary = {
      runId: run.id,
      runDir: run.dir,
      kind: 'eval',
      status,
      evaluation,
      ...(status === 'cancelled'
        ? { message: `cancelled after ${done} of ${data.n} images; the figures cover those` }
        : {}),
    };
    run.writeJson('result.json', summary);
    return summary;
  } finally {
    await attacked?.dispose();
  }
}

/**
 * The model the attacks run against, with the weights the evaluation is about: a training run's
 * checkpoint, a PyTorch file's, or the seeded initial ones. A model of the IR is built from them
 * on the host (ONNX Runtime needs no tfjs); a TF.js model.json is loaded by tfjs with its own.
 * Weights that are not numbers are refused before any image is attacked.
 */
async function evaluatedModel(
  chosen: EvalBackend,
  plan: ModelPlan,
  data: Dataset,
  normalization: InputNormalization | undefined,
  weights: {
    readonly trained: TrainedWeights | undefined;
    readonly torchWeights: TorchWeights | undefined;
    /** The file the weights come from, named in messages. */
    readonly weightsSource: string;
  },
): Promise<{ model: AttackedModel; backend: EvalBackend; paramCount: number }> {
  const { trained, torchWeights, weightsSource: source } = weights;
  if (plan.kind === 'model-json') {
    if (torchWeights) throw modelJsonWeightsError(torchWeights);
    let backend = chosen;
    if (chosen.onnx) {
      // Its weights, or the training run's, read as plain arrays: only the topology goes through tfjs-layers.
      const state = trained ? readCheckpoint(trained.checkpoint).state : readModelJsonWeights(plan.modelJson);
      checkFiniteWeights(state, source);
      try {
        return await attackedModelJson(chosen, plan, state, data);
      } catch (error) {
        if (!(error instanceof UnsupportedModelError) || !chosen.automatic) throw error;
        backend = fallbackBackend(chosen, error.message);
      }
    }
    const loaded = await loadFromPlan(plan, data, undefined);
    try {
      if (trained) await loadState(loaded.model, readCheckpoint(trained.checkpoint).state, trained.checkpoint);
      checkFiniteWeights(await loaded.model.getState(), source);
      const paramCount = loaded.model.paramCount();
      if (backend !== chosen) return { model: loaded.model, backend, paramCount };
      const ready = await attackedModel(chosen, loaded, data, undefined);
      if (ready.model !== loaded.model) loaded.model.dispose();
      return { ...ready, paramCount };
    } catch (error) {
      loaded.model.dispose();
      throw error;
    }
  }
  const state = trained ? readCheckpoint(trained.checkpoint).state : startingState(plan, data, torchWeights);
  const misfit = stateMisfit(plan, state);
  if (misfit) throw new CheckpointError(`${source} does not fit the model: ${misfit}`);
  checkFiniteWeights(state, source);
  return { ...(await attackedIrModel(chosen, plan, state, data, normalization)), paramCount: plan.paramCount };
}

interface TrainedWeights {
  readonly checkpoint: string;
  readonly modelFile: string;
  readonly modelName: string;
  readonly normalization: InputNormalization | undefined;
}

function locateWeights(weights: string): TrainedWeights {
  const resolved = path.resolve(weights);
  const runDir = fs.existsSync(resolved) && fs.statSync(resolved).isDirectory() ? resolved : path.dirname(resolved);
  const checkpoint = runDir === resolved ? path.join(runDir, CHECKPOINT_FILE) : resolved;
  if (!fs.existsSync(checkpoint))
    throw new Error(
      `${weights}: no checkpoint (${checkpoint} does not exist); give a training run folder or its ${CHECKPOINT_FILE}`,
    );
  const configFile = path.join(runDir, 'config.json');
  let config: { model?: { file?: string; name?: string; normalization?: InputNormalization | null } };
  try {
    config = JSON.parse(
      readTextBounded(configFile, { maxBytes: READ_LIMITS.run, root: runDir, what: 'run file' }),
    ) as typeof config;
  } catch (error) {
    const why = error instanceof FileReadError && error.reason !== 'missing' ? ` (${error.detail})` : '';
    throw new Error(
      `${weights}: ${configFile} is missing or damaged${why}, so the model these weights belong to is unknown`,
      { cause: error },
    );
  }
  if (!config.model?.file || !config.model.name) throw new Error(`${configFile} does not name the model`);
  return {
    checkpoint,
    modelFile: config.model.file,
    modelName: config.model.name,
    normalization: config.model.normalization ?? undefined,
  };
}
