import * as fs from 'node:fs';
import * as path from 'node:path';
import { take } from '../data/dataset';
import { openDataset } from '../data/open-dataset';
import { networkJson } from '../pytorch/network-json';
import { normalizationFor, planModel, startingState } from '../run/model-plan';
import { RunDirectory } from '../run/run-store';
import { writeCheckpoint } from '../train/checkpoint';
import { TRAIN_DEFAULTS, type TrainConfig } from '../train/train-config';
import { readTorchWeights } from '../weights/torch-weights';
import { WeightsFileError } from '../weights/weights-error';
import type { ModelState } from '../model/classifier';
import { DATA_FILE, writeDataFile } from './data-file';
import { parseEntry } from './entry';

/** How the PyTorch trainer is started: processes, nodes, device and precision. */
export interface TorchLaunch {
  /** The user's Python (with torch); default python3. */
  readonly python: string;
  readonly nprocPerNode: number;
  readonly nnodes: number;
  /** HOST:PORT of the rendezvous for several nodes (torchrun --rdzv-endpoint). */
  readonly rdzvEndpoint?: string;
  readonly device: 'auto' | 'cpu' | 'cuda';
  readonly amp: boolean;
  readonly syncBatchNorm: boolean;
  /** torchrun --max-restarts: workers restarted after one dies; they resume from checkpoint.pt. */
  readonly maxRestarts?: number;
}

export interface TorchTrainRequest {
  /** A model file the engine reads (architecture spec, Hydra config, PyTorch or Keras file)... */
  readonly modelFile?: string;
  readonly modelName?: string;
  /** ...or an entry FILE.py:factory(args) that builds any nn.Module (runs the user's code). */
  readonly entry?: string;
  readonly data: string;
  readonly workspace: string;
  readonly config: Partial<TrainConfig> & Pick<TrainConfig, 'threat'>;
  readonly launch: TorchLaunch;
  /** A PyTorch .pt file to start from (fine-tuning) instead of the seeded initial weights. */
  readonly initWeights?: string;
}

export const INIT_FILE = 'init.rlck';

/** What python/robustness_lens_trainer reads from config.json's "torch". */
export interface TorchSection {
  readonly dataFile: string;
  readonly model:
    | {
        readonly kind: 'ir';
        readonly network: unknown;
        readonly mean?: readonly number[];
        readonly std?: readonly number[];
        readonly init: string;
      }
    | {
        readonly kind: 'entry';
        readonly entry: string;
        readonly baseDir: string;
        /** A PyTorch file (absolute path) the trainer loads with torch.load(weights_only=True) (fine-tuning). */
        readonly init?: string;
      };
  readonly launch: TorchLaunch;
}

/**
 * Creates the run folder of a PyTorch run: the data as the engine read it (data.rlds), the
 * initial weights of an IR model as the engine initialises them (init.rlck, so both trainers
 * start from the same point), and config.json with everything the trainer needs, so the run can
 * start (or restart) on any machine that sees the folder.
 */
export async function prepareTorchRun(request: TorchTrainRequest): Promise<RunDirectory> {
  const config: TrainConfig = { ...TRAIN_DEFAULTS, ...request.config };
  const data = openDataset(request.data);
  if (!data.train)
    throw new Error(
      `${request.data} has no training split; training needs one (a train/ folder, the ` +
        `train-*-idx files, data_batch_*.bin)`,
    );
  const trainSet = config.trainSamples !== undefined ? take(data.train, config.trainSamples) : data.train;
  const evalSet = take(data.test, config.evalSamples);
  // Everything is read and checked before the run folder exists, so a refused model or weights file leaves none.
  let model: TorchSection['model'];
  let modelInfo: Record<string, unknown>;
  let initial: ModelState | undefined;
  if (request.entry) {
    const parsed = parseEntry(request.entry);
    const entryFile = parsed?.file ? parsed.target : undefined;
    if (!entryFile || !fs.existsSync(entryFile))
      throw new Error(
        `give a model file: the entry ${request.entry} names no file that exists (FILE.py:factory(args))`,
      );
    // The file's absolute path, so the entry means the same from a Slurm node's working folder.
    const entry = `${path.resolve(entryFile)}:${parsed?.name ?? ''}${parsed?.call ?? ''}`;
    const init = request.initWeights ? entryInitWeights(request.initWeights) : undefined;
    model = { kind: 'entry', entry, baseDir: path.dirname(path.resolve(entryFile)), ...(init ? { init } : {}) };
    modelInfo = {
      file: path.resolve(entryFile),
      name: entry,
      entry,
      initWeights: init ?? null,
      params: null,
      parts: [],
      budget: null,
      inputShape: data.test.shape,
      numClasses: data.test.numClasses,
      normalization: null,
    };
  } else {
    if (!request.modelFile) throw new Error('give a model file to train');
    const init = request.initWeights ? readTorchWeights(request.initWeights) : undefined;
    // A checkpoint of the IR model carries its normalisation (mean/std buffers); it wins over the data set's.
    const normalization =
      init && init.normalization !== undefined ? (init.normalization ?? undefined) : normalizationFor(data.test);
    const plan = await planModel(request.modelFile, request.modelName, data.test, normalization, config.seed);
    if (plan.kind !== 'ir')
      throw new Error(
        `${request.modelFile}: the torch back end trains models of the architecture ` +
          `spec, Hydra, PyTorch and Keras files, or an entry FILE.py:factory(args)`,
      );
    // The engine's initial weights (or the PyTorch file's, matched by name as the engine matches
    // them), drawn on the host: the trainer starts where the engine's own back ends would.
    initial = startingState(plan, data.test, init);
    const norm = plan.normalized ? normalization : undefined;
    model = {
      kind: 'ir',
      network: networkJson(plan.network),
      ...(norm ? { mean: [...norm.mean], std: [...norm.std] } : {}),
      init: INIT_FILE,
    };
    modelInfo = {
      file: path.resolve(request.modelFile),
      name: plan.name,
      initWeights: init?.file ?? null,
      params: plan.paramCount,
      parts: plan.parts,
      budget: plan.budget ?? null,
      inputShape: data.test.shape,
      numClasses: data.test.numClasses,
      normalization: norm ?? null,
    };
  }
  const run = RunDirectory.create(request.workspace, 'train');
  fs.mkdirSync(run.dir, { recursive: true });
  if (initial) {
    writeCheckpoint(run.file(INIT_FILE), initial, {
      kind: 'robustness-lens-initial-weights',
      seed: config.seed,
      ...(typeof modelInfo.initWeights === 'string' ? { initWeights: modelInfo.initWeights } : {}),
    });
  }
  writeDataFile(run.file(DATA_FILE), { train: trainSet, eval: evalSet });
  const torch: TorchSection = { dataFile: DATA_FILE, model, launch: request.launch };
  run.writeJson('config.json', {
    kind: 'train',
    backend: 'torch',
    model: modelInfo,
    data: request.data,
    config,
    torch,
  });
  return run;
}

/**
 * The weights file an entry's model starts from (torch.save or .safetensors, read by the worker's
 * loader): an absolute path (it is read from the Slurm node's working folder too), refused here
 * when it cannot be that.
 */
function entryInitWeights(file: string): string {
  const resolved = path.resolve(file);
  let isFile = false;
  try {
    isFile = fs.statSync(resolved).isFile();
  } catch {
    // Reported below.
  }
  if (!isFile) throw new WeightsFileError(`${file}: no such weights file`);
  return resolved;
}

/** config.json's "torch" of an existing run folder (to resume or resubmit it). */
export function readTorchSection(runDir: string): TorchSection {
  const file = path.join(runDir, 'config.json');
  let saved: { torch?: TorchSection };
  try {
    saved = JSON.parse(fs.readFileSync(file, 'utf8')) as { torch?: TorchSection };
  } catch (error) {
    throw new Error(`cannot resume ${runDir}: ${file} is missing or damaged (${(error as Error).message})`, {
      cause: error,
    });
  }
  if (!saved.torch)
    throw new Error(
      `cannot resume ${runDir} with --backend torch: it is a run of the engine's own back ` +
        `ends (resume it without --backend torch)`,
    );
  return saved.torch;
}
