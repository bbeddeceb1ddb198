import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runCli } from '../../../src/cli/run';

export const ROOT = path.resolve(__dirname, '../../../..');
export const PYTHON = fs.existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
export const MNIST_DIR = path.join(ROOT, 'dist-test', 'data', 'mnist-bundled');

/** Why the PyTorch tests cannot run here, or false when they can. */
export function torchMissing(): string | false {
  const probe = spawnSync(PYTHON, ['-c', 'import torch, numpy, torch.distributed as d; assert d.is_gloo_available()'], {
    encoding: 'utf8',
  });
  return probe.status === 0 ? false : `no torch with gloo for ${PYTHON} (apt-get install python3-torch)`;
}

/** Tiny settings: mnist-small on 96 bundled digits, 2 epochs, a few attack steps. */
export const TINY = [
  '--data',
  MNIST_DIR,
  '--eps',
  '0.3',
  '--epochs',
  '2',
  '--train-samples',
  '96',
  '--eval-samples',
  '32',
  '--batch-size',
  '16',
  '--attack-steps',
  '2',
  '--lr',
  '0.05',
  '--python',
  PYTHON,
];

export async function cli(args: readonly string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(args, { out: (t) => out.push(t), err: (t) => err.push(t) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

export interface Epoch {
  readonly epoch: number;
  readonly trainLoss: number;
  readonly trainAccuracy: number;
  readonly cleanAccuracy: number;
  readonly fgsmAccuracy: number;
  readonly pgdAccuracy: number;
  readonly learningRate: number;
  readonly eps: number;
}

export function readResult(runDir: string): { status: string; history: Epoch[] } {
  return JSON.parse(fs.readFileSync(path.join(runDir, 'result.json'), 'utf8')) as { status: string; history: Epoch[] };
}

/** The metrics of each epoch without its duration (which no two runs share). */
export function metrics(history: readonly Epoch[]): Omit<Epoch, 'seconds'>[] {
  return history.map(
    ({ epoch, trainLoss, trainAccuracy, cleanAccuracy, fgsmAccuracy, pgdAccuracy, learningRate, eps }) => ({
      epoch,
      trainLoss,
      trainAccuracy,
      cleanAccuracy,
      fgsmAccuracy,
      pgdAccuracy,
      learningRate,
      eps,
    }),
  );
}

export function runFolderOf(out: string): string {
  const dir = /run folder: (.+)/.exec(out)?.[1]?.trim();
  if (!dir) throw new Error(`no run folder in:\n${out}`);
  return dir;
}
