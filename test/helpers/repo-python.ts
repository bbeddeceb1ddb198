import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { repoPath } from './paths';

/**
 * Runs a script (its lines joined) with the given interpreter, the repository's python/ on its path
 * (the trainer and the IR model import from there) and no bytecode written into it. A script that
 * fails fails the test with its stderr; returns its stdout.
 */
export function runRepoPython(python: string, lines: readonly string[], input?: string): string {
  const run = spawnSync(python, ['-c', lines.join('\n')], {
    encoding: 'utf8',
    input,
    env: { ...process.env, PYTHONPATH: repoPath('python'), PYTHONDONTWRITEBYTECODE: '1' },
  });
  assert.equal(run.status, 0, run.stderr);
  return run.stdout;
}
