import { PARAMS_USAGE, runParams } from './commands/params';
import { UsageError, type CommandIO } from './io';

export const USAGE = `Usage: robustness-lens <command> [options]

Commands:
  params FILE...   parameter counts and MACs per layer, per stage and in total

Run 'robustness-lens <command> --help' for a command's options.`;

/** Runs the CLI on `argv` (without node and script) and returns the exit code. */
export function runCli(argv: readonly string[], io: CommandIO): number {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'params':
        return runParams(rest, io);
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
    // parseArgs reports unknown or malformed options with these codes.
    const code = (error as { code?: string }).code;
    if (error instanceof UsageError || code?.startsWith('ERR_PARSE_ARGS')) {
      io.err(`robustness-lens: ${(error as Error).message}`);
      io.err(command === 'params' ? PARAMS_USAGE : USAGE);
      return 2;
    }
    throw error;
  }
}
