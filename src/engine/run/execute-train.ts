import * as fs from 'node:fs';
import * as path from 'node:path';
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
import { applyTorchWeights, readTorchWeights } from '../weights/torch-weights';
import { loadModel, normalizationFor, type LoadedModel } from './load-model';
import type { RunListener, RunSummary } from './run-messages';
import { describeEnvironment, RunDirectory } from './run-store';

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
}

export const CHECKPOINT_FILE = 'checkpoint.rlck';

/** A whole training run: data, model, back end, the loop, and the run folder's files. */
export async function executeTrain(requested: TrainRunOptions, listener: RunListener, isCancelled: () => boolean): Promise<RunSummary> {
  // A resumed run takes its model, data and settings from its own folder, not from new flags.
  const options = requested.resume ? { ...requested, ...savedTrainOptions(requested.resume) } : requested;
  const config: TrainConfig = { ...TRAIN_DEFAULTS, ...options.config };
  const run = options.resume ? new RunDirectory(path.resolve(options.resume), path.basename(path.resolve(options.resume))) : RunDirectory.create(options.workspace, 'train');
  const chosen = await selectTrainBackend(options.backend);
  const data = openDataset(options.data);
  if (!data.train) throw new Error(`${options.data} has no training split; training needs one (a train/ folder, the train-*-idx files, data_batch_*.bin)`);
  const init = options.initWeights ? readTorchWeights(options.initWeights) : undefined;
  // A checkpoint of the IR model carries its normalisation (mean/std buffers); it wins over the data set's.
  const wanted = init && init.normalization !== undefined
    ? (init.normalization ?? undefined)
    : normalizationFor(data.test);
  const loaded = await loadModel(options.modelFile, options.modelName, data.test, wanted, config.seed);
  if (init) {
    try {
      await applyTorchWeights(loaded.model, loaded.network, data.test.shape, init);
    } catch (error) {
      loaded.model.dispose();
      throw error;
    }
  }
  const normalization = loaded.normalized ? wanted : undefined;
  const { model, backend } = chosen.onnx ? await onnxModel(chosen, loaded, data.test, normalization) : { model: loaded.model, backend: chosen };
  // Sent once the model is built, so it names the back end that really computes.
  listener({ type: 'started', runId: run.id, runDir: run.dir, backend: backend.name, device: backend.device, notes: backend.notes });
  const modelInfo = {
    file: path.resolve(options.modelFile), name: loaded.name, initWeights: init?.file ?? null,
    params: model.paramCount(), parts: loaded.parts ?? [], budget: loaded.budget ?? null,
    inputShape: data.test.shape, numClasses: data.test.numClasses, normalization: normalization ?? null,
  };
  run.writeJson('config.json', { kind: 'train', model: modelInfo, data: options.data, config });
  run.writeJson('environment.json', describeEnvironment(backend.name, backend.device, backend.notes));
  try {
    const outcome = await train(model, { train: data.train, test: data.test }, config, {
      checkpointFile: run.file(CHECKPOINT_FILE),
      resume: options.resume !== undefined,
      isCancelled,
      events: {
        progress: (p) => listener({ type: 'progress', phase: `epoch ${p.epoch}/${p.epochs}`, done: (p.epoch - 1) * p.steps + p.step, total: p.epochs * p.steps, etaSeconds: p.etaSeconds, imagesPerSecond: p.imagesPerSecond, detail: p }),
        epoch: (m) => {
          listener({ type: 'metric', epoch: m });
        },
        checkpoint: (file, epoch) => listener({ type: 'checkpoint', file, epoch }),
      },
    });
    const summary: RunSummary = { runId: run.id, runDir: run.dir, kind: 'train', status: outcome.status, history: outcome.history, ...(outcome.message ? { message: outcome.message } : {}) };
    run.writeJson('result.json', summary);
    return summary;
  } finally {
    model.dispose();
  }
}

/**
 * The loaded tfjs model's network and initial weights as an ONNX Runtime model (the tfjs one is
 * released). A model ONNX Runtime cannot build stays on tfjs when the choice was automatic.
 */
async function onnxModel(chosen: EvalBackend, loaded: LoadedModel, data: Dataset, normalization: InputNormalization | undefined): Promise<{ model: TrainableClassifier; backend: SelectedBackend }> {
  try {
    if (!loaded.network) throw new UnsupportedModelError(`${loaded.name}: the onnxruntime back end trains models of the architecture spec, Hydra, PyTorch and Keras files; a TF.js model.json trains on the tfjs back ends`);
    const model = await OnnxTrainableClassifier.create(loaded.network, await loaded.model.getState(), {
      inputShape: data.shape,
      numClasses: data.numClasses,
      ...(normalization ? { normalization } : {}),
    });
    loaded.model.dispose();
    return { model, backend: chosen };
  } catch (error) {
    if (!(error instanceof UnsupportedModelError) || !chosen.automatic) {
      loaded.model.dispose();
      throw error;
    }
    return { model: loaded.model, backend: fallbackBackend(chosen, error.message) };
  }
}

interface SavedTrainConfig {
  readonly model: { readonly file: string; readonly name: string; readonly initWeights?: string | null };
  readonly data: string;
  readonly config: TrainConfig;
}

type SavedOptions = Pick<TrainRunOptions, 'modelFile' | 'modelName' | 'data' | 'config' | 'initWeights'>;

function savedTrainOptions(runDir: string): SavedOptions {
  const file = path.join(path.resolve(runDir), 'config.json');
  let saved: SavedTrainConfig;
  try {
    saved = JSON.parse(fs.readFileSync(file, 'utf8')) as SavedTrainConfig;
  } catch (error) {
    throw new Error(`cannot resume ${runDir}: ${file} is missing or damaged (${(error as Error).message})`, { cause: error });
  }
  // The initial weights are read again on resume for their normalisation; the checkpoint then replaces them.
  const init = saved.model.initWeights ? { initWeights: saved.model.initWeights } : {};
  return { modelFile: saved.model.file, modelName: saved.model.name, data: saved.data, config: saved.config, ...init };
}
