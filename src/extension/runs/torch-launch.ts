import type { SlurmOptions } from '../../engine/torch/slurm';
import type { TorchLaunch } from '../../engine/torch/torch-run';
import type { Parsed } from './run-request';

/** Where "Train adversarially" runs: the engine here, the user's PyTorch here, or a Slurm job. */
export type Placement = 'engine' | 'torchrun' | 'slurm';

/** The robustnessLens.torch.* / slurm.* settings (and python.path), already cleaned of bad values. */
export interface TorchSettings {
  /** The Python that has PyTorch; robustnessLens.python.path, else python3. */
  readonly python: string;
  readonly processes: number;
  readonly device: TorchLaunch['device'];
  readonly slurm: {
    readonly partition: string;
    readonly gpusPerNode: number;
    readonly time: string;
    readonly account: string;
    readonly nodes: number;
  };
}

/** How a setting is read (vscode's WorkspaceConfiguration.get in the extension, a map in tests). */
export type SettingGetter = <T>(key: string, fallback: T) => T;

const DEVICES: readonly TorchLaunch['device'][] = ['auto', 'cpu', 'cuda'];

function wholeNumber(value: unknown, min: number, fallback: number): number {
  return typeof value === 'number' && Number.isInteger(value) && value >= min ? value : fallback;
}

function text(value: unknown): string {
  return typeof value === 'string' ? value.trim() : '';
}

/** Settings a person wrote by hand: a wrong type or range falls back to the default, never throws. */
export function torchSettingsFrom(get: SettingGetter): TorchSettings {
  const device = get<string>('torch.device', 'auto');
  return {
    python: text(get<string>('python.path', '')) || 'python3',
    processes: wholeNumber(get<number>('torch.processes', 2), 1, 2),
    device: (DEVICES as readonly string[]).includes(device) ? (device as TorchLaunch['device']) : 'auto',
    slurm: {
      partition: text(get<string>('slurm.partition', '')),
      gpusPerNode: wholeNumber(get<number>('slurm.gpusPerNode', 0), 0, 0),
      time: text(get<string>('slurm.time', '')),
      account: text(get<string>('slurm.account', '')),
      nodes: wholeNumber(get<number>('slurm.nodes', 1), 1, 1),
    },
  };
}

/** What the prompts asked (their text as typed; empty keeps nothing for the optional ones). */
export interface LaunchAnswers {
  readonly processes?: string;
  readonly partition?: string;
  readonly gpusPerNode?: string;
  readonly time?: string;
  readonly account?: string;
}

/** Problems with one answer, for the input box's validation; undefined when it is fine. */
export function checkProcesses(value: string): string | undefined {
  return /^\s*[1-9]\d{0,3}\s*$/.test(value) ? undefined : 'a whole number of processes, at least 1';
}

export function checkGpus(value: string): string | undefined {
  return /^\s*\d{1,3}\s*$/.test(value) ? undefined : 'a whole number of GPUs per node (0: none, CPU processes)';
}

/** sbatch --time: minutes, MM:SS, HH:MM:SS, D-HH, D-HH:MM or D-HH:MM:SS; empty leaves the partition's limit. */
export function checkTime(value: string): string | undefined {
  const v = value.trim();
  if (v === '' || /^(\d+|\d+:\d{1,2}|\d+:\d{1,2}:\d{1,2}|\d+-\d{1,2}(:\d{1,2}){0,2})$/.test(v)) return undefined;
  return "a Slurm time limit such as 90 (minutes), 4:00:00 or 1-12:00:00, or empty for the partition's default";
}

/** A partition or account name goes into the batch script: names only, nothing a shell would read. */
export function checkName(what: string) {
  return (value: string): string | undefined =>
    /^[A-Za-z0-9_.-]*$/.test(value.trim()) ? undefined : `a ${what} name (letters, digits, _ . -), or empty`;
}

/**
 * The launch of a PyTorch run from the settings and the answers: torchrun runs N processes here
 * (gloo on CPU, nccl on GPUs); Slurm runs one torchrun per node with one process per GPU, or the
 * torchrun count when the job asks for no GPUs.
 */
export function torchLaunchOptions(
  placement: Exclude<Placement, 'engine'>,
  settings: TorchSettings,
  answers: LaunchAnswers = {},
): Parsed<{ launch: TorchLaunch; slurm?: SlurmOptions }> {
  const problems: string[] = [];
  const check = (answer: string | undefined, test: (v: string) => string | undefined): string | undefined => {
    if (answer === undefined) return undefined;
    const problem = test(answer);
    if (problem) problems.push(`"${answer}": ${problem}`);
    return problem ? undefined : answer.trim();
  };
  const processesText = check(answers.processes, checkProcesses);
  const processes = processesText ? Number(processesText) : settings.processes;
  const base = {
    python: settings.python,
    nnodes: 1,
    device: settings.device,
    amp: false,
    syncBatchNorm: false,
    maxRestarts: 0,
  };
  if (placement === 'torchrun') {
    if (problems.length > 0) return { ok: false, error: problems.join('; ') };
    return { ok: true, value: { launch: { ...base, nprocPerNode: processes } } };
  }
  const gpusText = check(answers.gpusPerNode, checkGpus);
  const gpus = gpusText !== undefined ? Number(gpusText) : settings.slurm.gpusPerNode;
  const partition = check(answers.partition, checkName('partition')) ?? settings.slurm.partition;
  const account = check(answers.account, checkName('account')) ?? settings.slurm.account;
  const time = check(answers.time, checkTime) ?? settings.slurm.time;
  if (problems.length > 0) return { ok: false, error: problems.join('; ') };
  const slurm: SlurmOptions = {
    ...(partition ? { partition } : {}),
    ...(gpus > 0 ? { gpusPerNode: gpus } : {}),
    ...(time ? { time } : {}),
    ...(account ? { account } : {}),
  };
  const launch: TorchLaunch = {
    ...base,
    nnodes: settings.slurm.nodes,
    nprocPerNode: gpus > 0 ? gpus : processes,
    device: gpus > 0 ? settings.device : 'cpu',
  };
  return { ok: true, value: { launch, slurm } };
}

/** One line for the label of the run and the confirmation: where and how wide it runs. */
export function describeLaunch(launch: TorchLaunch, slurm?: SlurmOptions): string {
  const processes = `${launch.nprocPerNode} process${launch.nprocPerNode === 1 ? '' : 'es'}`;
  if (!slurm) return `torchrun, ${processes}`;
  const where = [
    slurm.partition ? `partition ${slurm.partition}` : 'default partition',
    slurm.account ? `account ${slurm.account}` : undefined,
    slurm.time ? `time ${slurm.time}` : undefined,
  ]
    .filter(Boolean)
    .join(', ');
  const nodes = launch.nnodes > 1 ? `${launch.nnodes} nodes x ` : '';
  const g = slurm.gpusPerNode;
  const gpus = g ? ` (${g} GPU${g === 1 ? '' : 's'} per node)` : ' (CPU)';
  return `Slurm, ${nodes}${processes}${gpus}, ${where}`;
}

/** What the confirmation says before the user's PyTorch runs (the exact count asks the same way). */
export function torchTrainPrompt(file: string, launch: TorchLaunch, slurm?: SlurmOptions): string {
  const where = slurm ? 'submits a Slurm job that runs' : 'runs';
  return (
    `Train ${file} with PyTorch (${describeLaunch(launch, slurm)})? This ${where} ${launch.python} with PyTorch ` +
    "on this workspace's model and data; the model is built from its architecture as the engine reads it, " +
    'and the run folder holds everything it uses.'
  );
}
