import * as fs from 'node:fs';
import * as path from 'node:path';
import type { RunListener, RunSummary } from '../../engine/run/run-messages';
import { runTorchLocally } from '../../engine/torch/run-local';
import { jobState, readJob, submitRun, type SlurmOptions } from '../../engine/torch/slurm';
import { parseEntry } from '../../engine/torch/entry';
import { prepareTorchRun, readTorchSection, type TorchLaunch } from '../../engine/torch/torch-run';
import type { TrainConfig } from '../../engine/train/train-config';
import { UsageError } from '../io';
import { positiveIntegerOption } from '../options';
import { choiceOption } from '../run-options';

/** The options of `train` that only the PyTorch back end takes (parseArgs declarations). */
export const TORCH_OPTIONS = {
  'nproc-per-node': { type: 'string' },
  nnodes: { type: 'string' },
  'rdzv-endpoint': { type: 'string' },
  python: { type: 'string' },
  device: { type: 'string' },
  amp: { type: 'boolean' },
  'sync-batch-norm': { type: 'boolean' },
  'trust-code': { type: 'boolean' },
  slurm: { type: 'boolean' },
  partition: { type: 'string' },
  'gpus-per-node': { type: 'string' },
  time: { type: 'string' },
  account: { type: 'string' },
  'max-restarts': { type: 'string' },
} as const;

export const TORCH_USAGE = `
PyTorch (--backend torch: the user's PyTorch, one process or DistributedDataParallel):
  --nproc-per-node N processes per node (torchrun; default 1: one process, no torchrun)
  --nnodes M         nodes (default 1); with --rdzv-endpoint HOST:PORT for the rendezvous
  --max-restarts K   torchrun restarts the workers after one dies, K times at most; they
                     continue from the last finished epoch (default 0)
  --python PATH      the Python with torch (default python3)
  --device D         auto (default: GPUs when PyTorch sees them, nccl; else CPU, gloo), cpu or cuda
  --amp              mixed precision on GPUs
  --sync-batch-norm  SyncBatchNorm across processes (GPUs only)
  --trust-code       allow MODEL to be an entry FILE.py:factory(args), which runs FILE.py
                     (--init-weights then loads a .pt file with torch.load(weights_only=True))
  --slurm            write job.sbatch beside the run and submit it (srun + torchrun, one task
                     per node) instead of running here; --partition P, --gpus-per-node G,
                     --time T and --account A go to sbatch
  'robustness-lens runs' lists runs with their Slurm state; 'robustness-lens cancel RUN' stops one.`;

type Values = {
  [K in keyof typeof TORCH_OPTIONS]?: (typeof TORCH_OPTIONS)[K]['type'] extends 'boolean' ? boolean : string;
};

/** An entry names a Python file and a factory in it: FILE.py:name or FILE.py:name(args). */
export function isEntry(model: string): boolean {
  return parseEntry(model)?.file === true;
}

export function torchLaunch(values: Values, saved?: TorchLaunch): TorchLaunch {
  const nnodes = positiveIntegerOption('nnodes', values.nnodes) ?? saved?.nnodes ?? 1;
  const rdzv = values['rdzv-endpoint'] ?? saved?.rdzvEndpoint;
  if (rdzv !== undefined && !/^[^\s:]+:\d+$/.test(rdzv))
    throw new UsageError(`--rdzv-endpoint must be HOST:PORT, got "${rdzv}"`);
  if (nnodes > 1 && !rdzv && !values.slurm)
    throw new UsageError('--nnodes above 1 needs --rdzv-endpoint HOST:PORT (or --slurm, which finds the first node)');
  return {
    python: values.python ?? saved?.python ?? 'python3',
    nprocPerNode: positiveIntegerOption('nproc-per-node', values['nproc-per-node']) ?? saved?.nprocPerNode ?? 1,
    nnodes,
    ...(rdzv ? { rdzvEndpoint: rdzv } : {}),
    device: choiceOption('device', values.device, ['auto', 'cpu', 'cuda'] as const) ?? saved?.device ?? 'auto',
    amp: values.amp ?? saved?.amp ?? false,
    syncBatchNorm: values['sync-batch-norm'] ?? saved?.syncBatchNorm ?? false,
    maxRestarts: nonNegative(values['max-restarts']) ?? saved?.maxRestarts ?? 0,
  };
}

function nonNegative(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 0)
    throw new UsageError(`--max-restarts must be a whole number, got "${text}"`);
  return value;
}

function slurmOptions(values: Values): SlurmOptions {
  return {
    ...(values.partition ? { partition: values.partition } : {}),
    ...(values['gpus-per-node']
      ? { gpusPerNode: positiveIntegerOption('gpus-per-node', values['gpus-per-node']) ?? 1 }
      : {}),
    ...(values.time ? { time: values.time } : {}),
    ...(values.account ? { account: values.account } : {}),
  };
}

/** What still trains in a run folder (a queued or running Slurm job), so a resume does not start a second trainer. */
function activeRun(runDir: string): string | undefined {
  const job = readJob(runDir);
  const state = job ? jobState(job.jobId) : undefined;
  return state && /PENDING|RUNNING|CONFIGURING|COMPLETING|REQUEUED|SUSPENDED/.test(state)
    ? `its Slurm job ${job?.jobId} is ${state}`
    : undefined;
}

/** Whether a run folder was made by the PyTorch back end (so --resume goes back to it). */
export function isTorchRun(runDir: string): boolean {
  try {
    return (
      (JSON.parse(fs.readFileSync(path.join(runDir, 'config.json'), 'utf8')) as { backend?: string }).backend ===
      'torch'
    );
  } catch {
    return false;
  }
}

export type TorchOutcome =
  { readonly submitted: { readonly jobId: string; readonly runDir: string } } | { readonly summary: RunSummary };

export interface TorchTrainArgs {
  readonly model?: string;
  readonly modelName?: string;
  readonly data: string;
  readonly workspace: string;
  readonly config: Partial<TrainConfig> & Pick<TrainConfig, 'threat'>;
  readonly resume?: string;
  /** A PyTorch .pt file to start from (fine-tuning). */
  readonly initWeights?: string;
  readonly values: Values;
}

/** `train --backend torch`: prepares (or reopens) the run folder, then runs it here or submits it. */
export async function trainOnTorch(
  args: TorchTrainArgs,
  listener: RunListener,
  isCancelled: () => boolean,
): Promise<TorchOutcome> {
  const { values } = args;
  let runDir: string;
  let launch: TorchLaunch;
  if (args.resume) {
    runDir = path.resolve(args.resume);
    const saved = readTorchSection(runDir);
    const active = activeRun(runDir);
    if (active)
      throw new Error(
        `cannot resume ${runDir}: ${active}; wait for it or cancel it first (robustness-lens cancel RUN)`,
      );
    if (saved.model.kind === 'entry' && !values['trust-code'])
      throw new UsageError(
        `${runDir} trains the entry ${saved.model.entry}, which runs that Python file: ` +
          `add --trust-code if you trust it`,
      );
    launch = torchLaunch(values, saved.launch);
  } else {
    const model = args.model ?? '';
    const entry = isEntry(model);
    if (entry && !values['trust-code']) {
      throw new UsageError(
        `${model} is an entry: training it runs ${model.replace(/:[^:]*$/, '')} under ` +
          `your Python. Add --trust-code if you trust that file`,
      );
    }
    launch = torchLaunch(values);
    const run = await prepareTorchRun({
      ...(entry ? { entry: model } : { modelFile: model }),
      ...(args.modelName ? { modelName: args.modelName } : {}),
      data: args.data,
      workspace: args.workspace,
      config: args.config,
      launch,
      ...(args.initWeights ? { initWeights: args.initWeights } : {}),
    });
    runDir = run.dir;
  }
  if (values.slurm) {
    const job = submitRun(runDir, launch, slurmOptions(values));
    return { submitted: { jobId: job.jobId, runDir } };
  }
  return { summary: await runTorchLocally(runDir, launch, listener, isCancelled) };
}
