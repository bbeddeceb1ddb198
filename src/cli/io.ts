import { terminalSafe } from './terminal-text';

/** Where a command writes; tests pass their own to capture output. */
export interface CommandIO {
  out(text: string): void;
  err(text: string): void;
}

/** Everything printed is made terminal-safe here: no escape sequence from a model file reaches the terminal. */
export const processIO: CommandIO = {
  out: (text) => process.stdout.write(`${terminalSafe(text)}\n`),
  err: (text) => process.stderr.write(`${terminalSafe(text)}\n`),
};

/** A mistake in how the command was called: exit code 2 with the usage hint. */
export class UsageError extends Error {}
