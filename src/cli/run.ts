import { LINT_USAGE, runLint } from './commands/lint';
import { PARAMS_USAGE, runParams } from './commands/params';
import { RULE_USAGE, runRule } from './commands/rule';
import { UsageError, type CommandIO } from './io';

export const USAGE = `Usage: robustness-lens <command> [options]

Commands:
  lint PATH...     check model files against the RobArch study's 18 guidelines
  params FILE...   parameter counts and MACs per layer, per stage and in total
  rule CODE        a guideline rule's documentation (--all lists them)

Run 'robustness-lens <command> --help' for a command's options.`;

/** Runs the CLI on `argv` (without node and script) and returns the exit code. */
export function runCli(argv: readonly string[], io: CommandIO): number {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'lint':
        return runLint(rest, io);
      case 'params':
        return runParams(rest, io);
      case 'rule':
        return runRule(rest, io);
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
      const usage: Record<string, string> = { lint: LINT_USAGE, params: PARAMS_USAGE, rule: RULE_USAGE };
      io.err(usage[command ?? ''] ?? USAGE);
      return 2;
    }
    throw error;
  }
}
