import type { TrainRunOptions } from '../run/execute-train';
import type { RunListener, RunSummary } from '../run/run-messages';
import { runTorchLocally } from './run-local';
import { submitRun, type SlurmOptions } from './slurm';
import { prepareTorchRun, type TorchLaunch } from './torch-run';

/** A training run on the user's PyTorch (the editor's "torchrun" and "Slurm"): how it is launched. */
export interface TorchTrainOptions {
  readonly launch: TorchLaunch;
  /** Present: write job.sbatch beside the run and submit it instead of running here. */
  readonly slurm?: SlurmOptions;
}

export type TorchTrainOutcome =
  | { readonly summary: RunSummary }
  | { readonly submitted: { readonly runId: string; readonly runDir: string; readonly jobId: string } };

/**
 * The editor's PyTorch training, in the engine worker: the same run folder as `robustness-lens
 * train --backend torch` (prepareTorchRun reads the model and data with the engine's readers),
 * then torchrun here, followed until it ends, or a Slurm job, which ends this request once
 * sbatch has accepted it (the editor follows the folder from then on).
 */
export async function executeTorchTrain(
  options: TrainRunOptions,
  torch: TorchTrainOptions,
  listener: RunListener,
  isCancelled: () => boolean,
): Promise<TorchTrainOutcome> {
  const run = await prepareTorchRun({
    modelFile: options.modelFile,
    ...(options.modelName ? { modelName: options.modelName } : {}),
    data: options.data,
    workspace: options.workspace,
    config: options.config,
    launch: torch.launch,
    ...(options.initWeights ? { initWeights: options.initWeights } : {}),
  });
  // The queue learns the run's folder now, not once Python has imported torch.
  const { nprocPerNode, nnodes } = torch.launch;
  const width = `${nnodes > 1 ? `${nnodes} nodes x ` : ''}${nprocPerNode} process${nprocPerNode === 1 ? '' : 'es'}`;
  if (!torch.slurm) {
    listener({
      type: 'started',
      runId: run.id,
      runDir: run.dir,
      backend: 'pytorch',
      device: `torchrun, ${width}`,
      notes: [],
    });
  }
  if (torch.slurm) {
    const job = submitRun(run.dir, torch.launch, torch.slurm);
    return { submitted: { runId: run.id, runDir: run.dir, jobId: job.jobId } };
  }
  return { summary: await runTorchLocally(run.dir, torch.launch, listener, isCancelled) };
}
