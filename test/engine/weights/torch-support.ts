/** Runs test/engine/weights/torch_checkpoints.py with Debian's PyTorch, when it is there. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { repoPath } from '../../helpers/paths';

export const PYTHON = fs.existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
export const HAS_TORCH = spawnSync(PYTHON, ['-c', 'import torch, numpy'], { encoding: 'utf8' }).status === 0;
/** The reason the PyTorch tests skip, or false. */
export const NO_TORCH: string | false = HAS_TORCH
  ? false
  : `no torch for ${PYTHON} (apt-get install python3-torch python3-numpy)`;

export function torchScript(...args: string[]): void {
  const script = repoPath('test', 'engine', 'weights', 'torch_checkpoints.py');
  const out = spawnSync(PYTHON, [script, ...args], { encoding: 'utf8', timeout: 300_000 });
  assert.equal(out.status, 0, `torch_checkpoints.py ${args[0]} failed: ${out.stderr}`);
}

/** A fresh folder for one test's files. */
export function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'rl-weights-'));
}
