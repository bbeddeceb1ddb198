import { EVAL_USAGE, runEval } from './commands/eval';
import { EXPORT_USAGE, runExport } from './commands/export';
import { LINT_USAGE, runLint } from './commands/lint';
import { PARAMS_USAGE, runParams } from './commands/params';
import { RULE_USAGE, runRule } from './commands/rule';
import { CANCEL_USAGE, RUNS_USAGE, runCancel, runRuns } from './commands/runs';
import { TRAIN_USAGE, runTrain } from './commands/train';
import { asDiskFull, DiskFullError, isDiskFull } from '../engine/util/atomic-write';
import { UsageError, type CommandIO } from './io';

export const USAGE = `Usage: robustness-lens <command> [options]

Commands:
  lint PATH...     check model files against the RobArch study's 18 guidelines
  params FILE...   parameter counts and MACs per layer, per stage and in total
  rule CODE        a guideline rule's documentation (--all lists them)
  train MODEL      adversarial training (PGD, Fast-AT, TRADES) with checkpoints and resume
  eval MODEL       clean and robust accuracy under FGSM, PGD or AutoAttack
  runs             the workspace's runs, with their Slurm jobs' state
  cancel RUN       stop a run (scancel for a Slurm job)
  export RUN       a training run's weights as a PyTorch state dict (.pt or .safetensors)

Run 'robustness-lens <command> --help' for a command's options.`;

/** Runs the CLI on `argv` (without node and script) and returns the exit code. */
export function runCli(
  argv: readonly string[],
  io: CommandIO,
  isCancelled: () => boolean = () => false,
): number | Promise<number> {
  const [command, ...rest] = argv;
  // Long runs are asynchronous; the analysis commands stay synchronous.
  const usageFailure = (error: unknown): number => failure(error, command, io);
  try {
    switch (command) {
      case 'train':
        return runTrain(rest, io, isCancelled).catch(usageFailure);
      case 'eval':
        return runEval(rest, io, isCancelled).catch(usageFailure);
      case 'export':
        return runExport(rest, io).catch(usageFailure);
      case 'lint':
        return runLint(rest, io);
      case 'params':
        return runParams(rest, io);
      case 'rule':
        return runRule(rest, io);
      case 'runs':
        return runRuns(rest, io);
      case 'cancel':
        return runCancel(rest, io);
      case undefined:
      case '-h':
      case '--help':
      case 'help':
        io.out(USAGE);
        return command === undefined ? 2 : 0;
      default:
        throw new UsageError(`unknown command "${command}"`);
    }
  } catch (error) {
    return usageFailure(error);
  }
}

/** A usage mistake prints the command's usage (exit 2); a run's error is one clear line (exit 1). */
function failure(error: unknown, command: string | undefined, io: CommandIO): number {
  // parseArgs reports unknown or malformed options with these codes.
  const code = (error as { code?: string }).code;
  if (error instanceof UsageError || code?.startsWith('ERR_PARSE_ARGS')) {
    io.err(`robustness-lens: ${(error as Error).message}`);
    const usage: Record<string, string> = {
      lint: LINT_USAGE,
      params: PARAMS_USAGE,
      rule: RULE_USAGE,
      train: TRAIN_USAGE,
      eval: EVAL_USAGE,
      export: EXPORT_USAGE,
      runs: RUNS_USAGE,
      cancel: CANCEL_USAGE,
    };
    io.err(usage[command ?? ''] ?? USAGE);
    return 2;
  }
  // A full disk is the machine's state, not a bug: say so with the path, whatever the command.
  if (isDiskFull(error) || error instanceof DiskFullError) {
    const full = asDiskFull(error, (error as { path?: string }).path ?? 'unknown path') as Error;
    io.err(`robustness-lens${command ? ` ${command}` : ''}: ${full.message}`);
    return 1;
  }
  if ((command === 'train' || command === 'eval' || command === 'export') && isUserFacing(error)) {
    io.err(`robustness-lens ${command}: ${(error as Error).message}`);
    return 1;
  }
  throw error;
}

/** Error classes about the user's model, data, machine or run folder, as opposed to bugs. */
const USER_FACING_NAMES = new Set([
  'DatasetError',
  'EngineMemoryError',
  'UnsupportedModelError',
  'CheckpointError',
  'BackendUnavailableError',
  'SlurmError',
  'RunLockedError',
  'NonFiniteModelError',
  // A PyTorch weights file that cannot be read, is refused, or does not fit the model.
  'WeightsFileError',
]);

/** Messages of plain Errors that describe the user's set-up (back ends, Python, run folders). */
const USER_FACING_MESSAGES = [
  /back end is not available|no tfjs back end could start/,
  /^(no Python at|the PyTorch trainer)/,
  /^(cannot resume|give a model file|.*: no checkpoint|.*config\.json)/,
];

/** Errors about the user's model, data or run folder, as opposed to bugs. */
function isUserFacing(error: unknown): boolean {
  const name = (error as { name?: string }).name;
  if (name !== undefined && USER_FACING_NAMES.has(name)) return true;
  return error instanceof Error && USER_FACING_MESSAGES.some((pattern) => pattern.test(error.message));
}
