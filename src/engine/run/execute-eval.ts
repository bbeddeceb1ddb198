import * as fs from 'node:fs';
import * as path from 'node:path';
import { FileReadError, READ_LIMITS, readTextBounded } from '../../core/workspace/read-bounded';
import type { ThreatModel } from '../attacks/attack';
import { attackByName, type AttackName } from '../attacks/autoattack';
import { autoAttackVersion, type AutoAttackVersion } from '../attacks/autoattack-versions';
import { take } from '../data/dataset';
import { openDataset } from '../data/open-dataset';
import type { InputNormalization } from '../tfjs/normalize-input';
import { readCheckpoint } from '../train/checkpoint';
import { loadState } from '../train/training-checkpoint';
import { DatasetError } from '../data/dataset-error';
import { checkFiniteWeights } from './non-finite';
import { applyTorchWeights, isTorchWeightsFile, readTorchWeights } from '../weights/torch-weights';
import { attackDataset } from './attack-loop';
import { attackedModel, selectEvalBackend, type AttackedModel, type EvalBackendChoice } from './eval-backend';
import { CHECKPOINT_FILE } from './execute-train';
import { loadModel, normalizationFor } from './load-model';
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
  // A checkpoint of the IR model carries its normalisation (mean/std buffers); it wins over the data set's.
  const fromFile = torchWeights?.normalization;
  const normalization = trained
    ? trained.normalization
    : fromFile !== undefined
      ? (fromFile ?? undefined)
      : normalizationFor(split.test);
  const loaded = await loadModel(modelFile, options.modelName ?? trained?.modelName, data, normalization, options.seed);
  const model = loaded.model;
  const network = { name: loaded.name };
  let attacked: AttackedModel | undefined;
  try {
    if (trained) await loadState(model, readCheckpoint(trained.checkpoint).state, trained.checkpoint);
    if (torchWeights) await applyTorchWeights(model, loaded.network, data.shape, torchWeights);
    const weightsSource = trained?.checkpoint ?? torchWeights?.file ?? modelFile;
    checkFiniteWeights(await model.getState(), weightsSource);
    const ready = await attackedModel(chosen, loaded, data, normalization);
    attacked = ready.model;
    // Announced once the model is built: an automatic choice of ONNX Runtime may have fallen back to tfjs.
    const backend = ready.backend;
    listener({
      type: 'started',
      runId: run.id,
      runDir: run.dir,
      backend: backend.name,
      device: backend.device,
      notes: backend.notes,
    });
    const untrained = !trained && !torchWeights;
    const attacks = options.version
      ? autoAttackVersion(options.version).attacks
      : options.attacks.map((a) => attackByName(a, options.pgdSteps));
    const weightsFile = trained?.checkpoint ?? torchWeights?.file ?? null;
    const modelInfo = {
      file: path.resolve(modelFile),
      name: network.name,
      params: model.paramCount(),
      parts: loaded.parts ?? [],
      budget: loaded.budget ?? null,
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
    const notes = [...backend.notes];
    if (torchWeights) {
      const how = torchWeights.notes.length ? ` (${torchWeights.notes.join('; ')})` : '';
      notes.push(`PyTorch weights from ${torchWeights.file}${how}`);
    }
    if (untrained) notes.push('no --weights given: the model has its random initial weights');
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
    if (attacked && attacked !== model) await attacked.dispose();
    model.dispose();
  }
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
