import { ensurePythonParser } from '../core';
import { DiskFullError } from '../engine/util/atomic-write';
import { processIO } from './io';
import { terminalSafe } from './terminal-text';
import { runCli } from './run';

async function main(): Promise<void> {
  // The Python grammar loads asynchronously once; every command after that is synchronous.
  await ensurePythonParser();
  // The first Ctrl-C asks a run to stop after its current step (keeping what it finished); a
  // second one ends the process at once.
  let cancelled = false;
  process.on('SIGINT', () => {
    if (cancelled) process.exit(130);
    cancelled = true;
    process.stderr.write('\nstopping after the current step (Ctrl-C again to quit now)\n');
  });
  process.exitCode = await runCli(process.argv.slice(2), processIO, () => cancelled);
  process.removeAllListeners('SIGINT');
}

main().catch((error: unknown) => {
  if (error instanceof DiskFullError) {
    process.stderr.write(`robustness-lens: ${error.message}\n`);
    process.exitCode = 1;
    return;
  }
  // A bug, not a user error: say so in one line, keep the stack for a bug report.
  process.stderr.write(`robustness-lens: internal error: ${terminalSafe((error as Error).message)}\n`);
  if (process.env.ROBUSTNESS_LENS_DEBUG) process.stderr.write(`${terminalSafe((error as Error).stack ?? '')}\n`);
  process.exitCode = 70;
});
