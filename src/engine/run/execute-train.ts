import * as fs from 'node:fs';
import * as path from 'node:path';
import { READ_LIMITS, readTextBounded } from '../../core/workspace/read-bounded';
import { DatasetError } from '../data/dataset-error';
import { openDataset } from '../data/open-dataset';
import type { Dataset } from '../data/dataset';
import type { TrainableClassifier } from '../model/classifier';
import { OnnxTrainableClassifier } from '../onnx/onnx-trainable-classifier';
import type { InputNormalization } from '../tfjs/normalize-input';
import type { SelectedBackend } from '../tfjs/select-backend';
import { fallbackBackend, selectTrainBackend, type EvalBackend, type TrainBackendChoice } from './backend-choice';
import { UnsupportedModelError } from '../tfjs/unsupported-model-error';
import { train } from '../train/train-loop';
import { TRAIN_DEFAULTS, type TrainConfig } from '../train/train-config';
import { readTorchWeights, type TorchWeights } from '../weights/torch-weights';
import { chooseNormalization } from './input-normalization';
import { layersFromPlan, tfjsFromPlan } from './load-model';
import { modelJsonWeightsError, planModel, startingState, type ModelPlan } from './model-plan';
import type { RunListener, RunSummary } from './run-messages';
import { describeEnvironment, RunDirectory } from './run-store';
import type { TorchTrainOptions } from '../torch/execute-torch-train';

export type { TrainBackendChoice };

export interface TrainRunOptions {
  readonly modelFile: string;
  readonly modelName?: string;
  readonly data: string;
  readonly backend?: TrainBackendChoice;
  /** Runs are written under <workspace>/.robustness-lens/runs/. */
  readonly workspace: string;
  readonly config: Partial<TrainConfig> & Pick<TrainConfig, 'threat'>;
  /** A run folder to continue from its last finished epoch. */
  readonly resume?: string;
  /** A PyTorch .pt / .safetensors file to start from (fine-tuning) instead of random weights. */
  readonly initWeights?: string;
  /** Train on the user's PyTorch (torchrun here or a Slurm job) instead: the worker runs executeTorchTrain. */
  readonly torch?: TorchTrainOptions;
}

export const CHECKPOINT_FILE = 'checkpoint.rlck';

/** A whole training run: data, model, back end, the loop, and the run folder's files. */
export async function executeTrain(
  requested: TrainRunOptions,
  listener: RunListener,
  isCancelled: () => boolean,
): Promise<RunSummary> {
  // A resumed run's folder is locked before anything is read from it, so a second resume stops at once.
  let run = requested.resume ? openRunToResume(requested.resume) : undefined;
  let lock = run?.lock();
  try {
    // A resumed run takes its model, data, settings and back end from its own folder, not from new flags.
    const saved = requested.resume ? savedTrainOptions(requested.resume) : undefined;
    const options = saved ? { ...requested, ...saved.options } : requested;
    const config: TrainConfig = { ...TRAIN_DEFAULTS, ...options.config };
    const backendChoice = requested.backend ?? saved?.backend;
    const chosen = await selectTrainBackend(backendChoice);
    const data = openDataset(options.data);
    if (!data.train)
      throw new Error(
        `${options.data} has no training split; training needs one (a train/ folder, the ` +
          `train-*-idx files, data_batch_*.bin)`,
      );
    if (data.train.n === 0) throw new DatasetError(`${options.data} has no training images`, options.data);
    if (data.test.n === 0) {
      throw new DatasetError(`${options.data} has no test images; training measures each epoch on them`, options.data);
    }
    const init = options.initWeights ? readTorchWeights(options.initWeights) : undefined;
    const chosenNorm = chooseNormalization(data.test, init, undefined);
    const wanted = chosenNorm.normalization;
    const plan = await planModel(options.modelFile, options.modelName, data.test, wanted, config.seed);
    if (init && plan.kind === 'model-json') throw modelJsonWeightsError(init);
    const normalization = plan.kind === 'ir' && plan.normalized ? wanted : undefined;
    const { model, backend } = await trainedModel(chosen, plan, init, data.test, normalization);
    try {
      const resumeNote = saved ? [resumeBackendNote(saved.backend, requested.backend, backend)] : [];
      const notes = [...backend.notes, ...resumeNote, ...(chosenNorm.note ? [chosenNorm.note] : [])];
      const modelInfo = {
        file: path.resolve(options.modelFile),
        name: plan.name,
        initWeights: init?.file ?? null,
        params: model.paramCount(),
        parts: plan.kind === 'ir' ? plan.parts : [],
        budget: (plan.kind === 'ir' ? plan.budget : undefined) ?? null,
        inputShape: data.test.shape,
        numClasses: data.test.numClasses,
        normalization: normalization ?? null,
      };
      const files = {
        // The back end is recorded so that a resume computes on the same one.
        'config.json': {
          kind: 'train',
          model: modelInfo,
          data: options.data,
          config,
          backend: backendChoiceOf(backend),
        },
        'environment.json': describeEnvironment(backend.name, backend.device, notes),
      };
      if (run) for (const [name, value] of Object.entries(files)) run.writeJson(name, value);
      else {
        run = RunDirectory.publish(options.workspace, 'train', files);
        lock = run.lock();
      }
      // Sent once the model is built and the folder holds its settings, so it names the back end that really computes.
      listener({
        type: 'started',
        runId: run.id,
        runDir: run.dir,
        backend: backend.name,
        device: backend.device,
        notes,
      });
      const outcome = await train(model, { train: data.train, test: data.test }, config, {
        checkpointFile: run.file(CHECKPOINT_FILE),
        resume: saved !== undefined,
        isCancelled,
        events: {
          progress: (p) =>
            listener({
              type: 'progress',
              phase: `epoch ${p.epoch}/${p.epochs}`,
              done: (p.epoch - 1) * p.steps + p.step,
              total: p.epochs * p.steps,
              etaSeconds: p.etaSeconds,
              imagesPerSecond: p.imagesPerSecond,
              detail: p,
            }),
          epoch: (m) => {
            listener({ type: 'metric', epoch: m });
          },
          checkpoint: (file, epoch) => listener({ type: 'checkpoint', file, epoch }),
        },
      });
      const summary: RunSummary = {
        runId: run.id,
        runDir: run.dir,
        kind: 'train',
        status: outcome.status,
        history: outcome.history,
        ...(outcome.message ? { message: outcome.message } : {}),
      };
      run.writeJson('result.json', summary);
      return summary;
    } finally {
      model.dispose();
    }
  } finally {
    lock?.release();
  }
}

/** The folder named by --resume, which must be a run folder. */
function openRunToResume(folder: string): RunDirectory {
  const dir = path.resolve(folder);
  let isFolder = false;
  try {
    isFolder = fs.statSync(dir).isDirectory();
  } catch {
    // Reported below.
  }
  if (!isFolder) throw new Error(`cannot resume ${folder}: not a run folder (it does not exist or is not a folder)`);
  return new RunDirectory(dir, path.basename(dir));
}

/** The --backend value that selects the back end a run computed on. */
function backendChoiceOf(backend: SelectedBackend): TrainBackendChoice {
  if (backend.name === 'onnxruntime' || backend.name === 'wasm' || backend.name === 'cpu') return backend.name;
  return /GPU/.test(backend.device) ? 'tfjs-node-gpu' : 'tfjs-node';
}

function resumeBackendNote(
  saved: TrainBackendChoice | undefined,
  requested: TrainBackendChoice | undefined,
  now: SelectedBackend,
): string {
  const used = backendChoiceOf(now);
  if (!saved) return `the run folder does not record its back end (an older version wrote it): resumed on ${used}`;
  if (requested && requested !== saved) {
    return `resumed on ${used} as --backend asked; the run began on ${saved} (results may differ in the last digits)`;
  }
  return `resumed on the run's own back end, ${saved}`;
}

/**
 * The model a run trains: on ONNX Runtime straight from the plan's host weights (no tfjs), else
 * on the tfjs back end; a model ONNX Runtime cannot build moves to tfjs when the choice was
 * automatic. Both start from the same weights: the PyTorch file's, or the seeded initial ones.
 */
async function trainedModel(
  chosen: EvalBackend,
  plan: ModelPlan,
  init: TorchWeights | undefined,
  data: Dataset,
  normalization: InputNormalization | undefined,
): Promise<{ model: TrainableClassifier; backend: SelectedBackend }> {
  const onTfjs = async (): Promise<TrainableClassifier> =>
    plan.kind === 'ir'
      ? tfjsFromPlan(plan, data, normalization, startingState(plan, data, init))
      : layersFromPlan(plan, data);
  if (!chosen.onnx) return { model: await onTfjs(), backend: chosen };
  try {
    if (plan.kind !== 'ir')
      throw new UnsupportedModelError(
        `${plan.name}: the onnxruntime back end trains models of the architecture spec, ` +
          `Hydra, PyTorch and Keras files; a TF.js model.json trains on the tfjs back ends`,
      );
    const model = await OnnxTrainableClassifier.create(plan.network, startingState(plan, data, init), {
      inputShape: data.shape,
      numClasses: data.numClasses,
      ...(normalization ? { normalization } : {}),
    });
    return { model, backend: chosen };
  } catch (error) {
    if (!(error instanceof UnsupportedModelError) || !chosen.automatic) throw error;
    return { model: await onTfjs(), backend: fallbackBackend(chosen, error.message) };
  }
}

interface SavedTrainConfig {
  readonly kind?: string;
  readonly model?: { readonly file?: string; readonly name?: string; readonly initWeights?: string | null };
  readonly data?: string;
  readonly config?: TrainConfig;
  readonly backend?: string;
}

const TRAIN_BACKENDS: readonly string[] = ['tfjs-node-gpu', 'tfjs-node', 'wasm', 'cpu', 'onnxruntime'];

interface SavedTrainRun {
  readonly options: Pick<TrainRunOptions, 'modelFile' | 'modelName' | 'data' | 'config' | 'initWeights'>;
  readonly backend: TrainBackendChoice | undefined;
}

function savedTrainOptions(runDir: string): SavedTrainRun {
  const file = path.join(path.resolve(runDir), 'config.json');
  let saved: SavedTrainConfig;
  try {
    saved = JSON.parse(
      readTextBounded(file, { maxBytes: READ_LIMITS.run, root: path.dirname(file), what: 'run file' }),
    ) as SavedTrainConfig;
  } catch (error) {
    throw new Error(`cannot resume ${runDir}: ${file} is missing or damaged (${(error as Error).message})`, {
      cause: error,
    });
  }
  const bad = (why: string): Error => new Error(`cannot resume ${runDir}: ${file} ${why}`);
  if (typeof saved !== 'object' || saved === null || saved.kind !== 'train')
    throw bad("is not a training run's settings");
  const model = saved.model;
  if (typeof model?.file !== 'string' || typeof model.name !== 'string' || typeof saved.data !== 'string') {
    throw bad('does not name the model and data');
  }
  const config = saved.config;
  if (typeof config !== 'object' || config === null) throw bad('has no training settings');
  for (const key of ['epochs', 'batchSize', 'evalSamples'] as const) {
    const value = config[key];
    if (!Number.isSafeInteger(value) || value < 1)
      throw bad(`has ${key} ${JSON.stringify(value)}, not a whole number of at least 1`);
  }
  const eps = (config.threat as Partial<TrainConfig['threat']> | null | undefined)?.eps;
  if (typeof eps !== 'number' || !(eps > 0 && eps <= 1)) throw bad('has no valid eps');
  if (saved.backend !== undefined && !TRAIN_BACKENDS.includes(saved.backend)) {
    throw bad(`names an unknown back end ${JSON.stringify(saved.backend)}`);
  }
  return {
    // The initial weights are read again on resume for their normalisation; the checkpoint then replaces them.
    options: {
      modelFile: model.file,
      modelName: model.name,
      data: saved.data,
      config,
      ...(typeof model.initWeights === 'string' ? { initWeights: model.initWeights } : {}),
    },
    backend: saved.backend as TrainBackendChoice | undefined,
  };
}
