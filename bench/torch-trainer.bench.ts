import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { executeTrain } from '../src/engine/run/execute-train';
import type { RunMessage } from '../src/engine/run/run-messages';
import type { StepProgress } from '../src/engine/train/train-loop';
import { trainOnTorch } from '../src/cli/commands/train-torch';

// PGD-AT images/s of the PyTorch trainer with 1 and 2 CPU processes (torchrun, gloo), 1 GPU when
// PyTorch sees one, and of the engine's ONNX Runtime back end, on the same model, data and
// settings: one JSON line each. The rate is the trainers' own (images trained / seconds since the
// first step, attack included), read from the last progress message, so Python's and torchrun's
// start-up are not counted. BENCH_TRAIN_SAMPLES shortens it. Prints figures; asserts nothing.

const PYTHON = fs.existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
const MODEL = path.join(process.cwd(), 'examples', 'mnist-small.arch.yaml');
const DATA = path.join(process.cwd(), 'dist-test', 'data', 'mnist-bundled');
const SAMPLES = Number(process.env.BENCH_TRAIN_SAMPLES ?? 1024);
const CONFIG = {
  threat: { norm: 'Linf' as const, eps: 0.3 },
  method: 'pgd' as const,
  epochs: 1,
  batchSize: 128,
  attackSteps: 10,
  trainSamples: SAMPLES,
  evalSamples: 16,
  evalPgdSteps: 2,
};

function lastRate(messages: RunMessage[]): number {
  const last = messages.filter((m): m is Extract<RunMessage, { type: 'progress' }> => m.type === 'progress').pop();
  return (last?.detail as StepProgress | undefined)?.imagesPerSecond ?? Number.NaN;
}

async function torchRate(nproc: number, device: 'cpu' | 'cuda', workspace: string): Promise<number> {
  const messages: RunMessage[] = [];
  await trainOnTorch(
    {
      model: MODEL,
      data: DATA,
      workspace,
      config: CONFIG,
      values: { 'nproc-per-node': String(nproc), device, python: PYTHON },
    },
    (m) => messages.push(m),
    () => false,
  );
  return lastRate(messages);
}

async function main(): Promise<void> {
  const workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'rl-bench-torch-'));
  const common = {
    bench: 'torch-trainer',
    model: 'mnist-small',
    method: 'pgd',
    attackSteps: CONFIG.attackSteps,
    batchSize: CONFIG.batchSize,
    images: SAMPLES,
    cpus: os.cpus().length,
  };
  try {
    if (spawnSync(PYTHON, ['-c', 'import torch'], { encoding: 'utf8' }).status !== 0) {
      console.log(JSON.stringify({ ...common, skipped: `no torch for ${PYTHON}` }));
    } else {
      for (const nproc of [1, 2])
        console.log(
          JSON.stringify({
            ...common,
            backend: 'torch',
            device: 'cpu',
            processes: nproc,
            imagesPerSecond: await torchRate(nproc, 'cpu', workspace),
          }),
        );
      const cuda = spawnSync(PYTHON, ['-c', 'import torch; print(torch.cuda.device_count())'], {
        encoding: 'utf8',
      }).stdout.trim();
      if (Number(cuda) > 0)
        console.log(
          JSON.stringify({
            ...common,
            backend: 'torch',
            device: 'cuda',
            processes: 1,
            imagesPerSecond: await torchRate(1, 'cuda', workspace),
          }),
        );
    }
    const messages: RunMessage[] = [];
    try {
      await executeTrain(
        { modelFile: MODEL, data: DATA, backend: 'onnxruntime', workspace, config: CONFIG },
        (m) => messages.push(m),
        () => false,
      );
      console.log(
        JSON.stringify({
          ...common,
          backend: 'onnxruntime',
          device: 'cpu',
          processes: 1,
          imagesPerSecond: lastRate(messages),
        }),
      );
    } catch (error) {
      console.log(JSON.stringify({ ...common, backend: 'onnxruntime', skipped: (error as Error).message }));
    }
  } finally {
    fs.rmSync(workspace, { recursive: true, force: true });
  }
}

void main();
