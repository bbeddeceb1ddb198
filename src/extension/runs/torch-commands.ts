import * as path from 'node:path';
import * as vscode from 'vscode';
import type { FollowedRunsHost } from './followed-runs-host';
import { trainRequest, type TrainChoices } from './run-request';
import type { RunService } from './run-service';
import {
  checkGpus,
  checkName,
  checkProcesses,
  checkTime,
  describeLaunch,
  torchLaunchOptions,
  torchSettingsFrom,
  torchTrainPrompt,
  type LaunchAnswers,
  type Placement,
  type TorchSettings,
} from './torch-launch';

type Item<T> = vscode.QuickPickItem & { readonly value: T };

export function readTorchSettings(scope?: vscode.Uri): TorchSettings {
  const config = vscode.workspace.getConfiguration('robustnessLens', scope);
  return torchSettingsFrom((key, fallback) => config.get(key, fallback));
}

/** "On this machine" is the engine, as before; the other two run the user's PyTorch. */
export async function pickPlacement(settings: TorchSettings): Promise<Placement | undefined> {
  const items: Item<Placement>[] = [
    {
      label: '$(vm) On this machine',
      description: 'the built-in engine (ONNX Runtime / TensorFlow.js)',
      value: 'engine',
    },
    {
      label: `$(server-process) torchrun (${settings.processes} process${settings.processes === 1 ? '' : 'es'})`,
      description: `your PyTorch (${settings.python}), DistributedDataParallel`,
      detail: "gloo on CPU, nccl on GPUs; runs this machine's Python",
      value: 'torchrun',
    },
    {
      label: '$(cloud-upload) Slurm',
      description: settings.slurm.partition ? `partition ${settings.slurm.partition}` : 'the default partition',
      detail: 'sbatch a job (srun + torchrun) beside the run; the run folder must be on storage the nodes share',
      value: 'slurm',
    },
  ];
  const chosen = await vscode.window.showQuickPick(items, {
    title: 'Train adversarially: where?',
    ignoreFocusOut: true,
    placeHolder: 'Enter keeps the first',
  });
  return chosen?.value;
}

type Check = (v: string) => string | undefined;

async function ask(title: string, value: string, prompt: string, check: Check): Promise<string | undefined> {
  return vscode.window.showInputBox({ title, value, prompt, ignoreFocusOut: true, validateInput: check });
}

/** The answers to the prompts, each prefilled from its setting; undefined when the person gave up. */
async function askLaunch(
  placement: Exclude<Placement, 'engine'>,
  settings: TorchSettings,
): Promise<LaunchAnswers | undefined> {
  if (placement === 'torchrun') {
    const processes = await ask(
      'torchrun: processes',
      String(settings.processes),
      'Processes on this machine (one per GPU, or CPU processes on gloo)',
      checkProcesses,
    );
    return processes === undefined ? undefined : { processes };
  }
  const s = settings.slurm;
  const partition = await ask(
    'Slurm (1/4): partition',
    s.partition,
    "sbatch --partition; empty: the cluster's default (robustnessLens.slurm.partition)",
    checkName('partition'),
  );
  if (partition === undefined) return undefined;
  const gpusPerNode = await ask(
    'Slurm (2/4): GPUs per node',
    String(s.gpusPerNode),
    'One process per GPU; 0: CPU processes (robustnessLens.torch.processes of them)',
    checkGpus,
  );
  if (gpusPerNode === undefined) return undefined;
  const time = await ask(
    'Slurm (3/4): time limit',
    s.time,
    "sbatch --time, e.g. 4:00:00 or 1-12:00:00; empty: the partition's limit",
    checkTime,
  );
  if (time === undefined) return undefined;
  const account = await ask(
    'Slurm (4/4): account',
    s.account,
    'sbatch --account; empty: your default account',
    checkName('account'),
  );
  return account === undefined ? undefined : { partition, gpusPerNode, time, account };
}

/**
 * "Train adversarially" on the user's PyTorch: asks how wide, asks before running their Python,
 * then queues a torchrun here or submits a Slurm job, whose folder the editor then follows.
 */
export async function trainOnPyTorch(
  runs: RunService,
  followed: FollowedRunsHost,
  placement: Exclude<Placement, 'engine'>,
  choices: TrainChoices,
  showResults: (runId: string) => void,
): Promise<void> {
  const settings = readTorchSettings(vscode.Uri.file(choices.modelFile));
  const answers = await askLaunch(placement, settings);
  if (!answers) return;
  const options = torchLaunchOptions(placement, settings, answers);
  if (!options.ok) {
    void vscode.window.showErrorMessage(`Robustness Lens: ${options.error}`);
    return;
  }
  const { launch, slurm } = options.value;
  const go = placement === 'slurm' ? 'Submit to Slurm' : 'Run with PyTorch';
  const prompt = torchTrainPrompt(path.basename(choices.modelFile), launch, slurm);
  if ((await vscode.window.showWarningMessage(prompt, { modal: true }, go)) !== go) return;
  const base = trainRequest(choices);
  if (base.kind !== 'train') return;
  const where = describeLaunch(launch, slurm);
  const torch = { launch, ...(slurm ? { slurm } : {}) };
  const request = { ...base, label: `${base.label} (${where})`, options: { ...base.options, torch } };
  if (!slurm) {
    runs.start(request);
    return;
  }
  try {
    const job = await vscode.window.withProgress(
      {
        location: vscode.ProgressLocation.Notification,
        title: `Robustness Lens: preparing the run and submitting it to Slurm (${where})`,
      },
      () => runs.submit(request),
    );
    followed.follow(job.runDir);
    showResults(job.runId);
    void vscode.window.showInformationMessage(
      `Robustness Lens: Slurm job ${job.jobId} submitted for ${job.runId}; the results panel follows its run folder.`,
    );
  } catch (error) {
    void vscode.window.showErrorMessage(`Robustness Lens: the Slurm submission failed: ${(error as Error).message}`);
  }
}
