import { runCli } from '../../src/cli/run';
import { usePythonParser } from './python';

// The CLI loads the Python grammar before any command; so do tests that call it.
usePythonParser();

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the CLI in-process, capturing what it prints. */
export function cli(...argv: string[]): CliResult {
  const out: string[] = [];
  const err: string[] = [];
  const code = runCli(argv, { out: (t) => out.push(t), err: (t) => err.push(t) });
  if (typeof code !== 'number') throw new Error(`${argv[0]} runs asynchronously: use cliAsync`);
  return { code, stdout: out.join('\n'), stderr: err.join('\n') };
}

/** Runs an asynchronous command (train, eval) in-process, capturing what it prints. */
export async function cliAsync(...argv: string[]): Promise<CliResult> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(argv, { out: (t) => out.push(t), err: (t) => err.push(t) });
  return { code, stdout: out.join('\n'), stderr: err.join('\n') };
}
