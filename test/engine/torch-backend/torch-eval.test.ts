/**
 * `eval --backend torch` end to end: a PyTorch model file with a factory and a checkpoint saved
 * as a DataParallel run saves it (mnist_fixture.py trains it here), evaluated on the user's PyTorch
 * and, after the engine loads the same checkpoint, on ONNX Runtime; and the over-report checks
 * firing on models built to trip them, run through the torch back end.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ensurePythonParser } from '../../../src/core';
import { onnxRuntimeProblem } from '../../../src/engine/onnx/load-onnxruntime';
import type { RunSummary } from '../../../src/engine/run/run-messages';
import { writeSafetensors } from '../../../src/engine/weights/safetensors';
import { readTorchWeights } from '../../../src/engine/weights/torch-weights';
import { cli, MNIST_DIR } from '../torch/torch-support';
import { NO_TORCH, PYTHON } from '../weights/torch-support';
import { repoPath } from '../../helpers/paths';

const N = '40';
const COMMON = [
  '--data',
  MNIST_DIR,
  '--n',
  N,
  '--eps',
  '0.1',
  '--attacks',
  'fgsm,apgd-ce',
  '--batch-size',
  '40',
  '--json',
];

const TRIPS = `import torch
import torch.nn as nn


class Noisy(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(784, 10)

    def forward(self, x):
        return self.fc((x + 0.05 * torch.randn_like(x)).flatten(1))


class Step(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(784, 10)

    def forward(self, x):
        # Rounding to 4 grey levels: piecewise constant, its gradient is zero almost everywhere.
        return self.fc((torch.round(x * 3) / 3).flatten(1))


class AlwaysTraining(nn.Module):
    def __init__(self):
        super().__init__()
        self.bn = nn.BatchNorm2d(1)
        self.fc = nn.Linear(784, 10)

    def train(self, mode=True):
        # Ignores eval(): BatchNorm keeps updating its statistics from the attacked batches.
        return super().train(True)

    def forward(self, x):
        return self.fc(self.bn(x).flatten(1))


def noisy():
    return Noisy()


def softmax():
    return nn.Sequential(nn.Flatten(), nn.Linear(784, 10), nn.Softmax(dim=1))


def step():
    return Step()


def always_training():
    return AlwaysTraining()
`;

function summaryOf(out: string): RunSummary {
  return JSON.parse(out.slice(out.indexOf('{'))) as RunSummary;
}

describe('eval --backend torch', { skip: NO_TORCH }, () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rl-torch-eval-'));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));
  before(async () => {
    // The engine reads the model file statically for ONNX Runtime; its Python parser is a wasm file.
    await ensurePythonParser(repoPath('dist-test'));
    const fixture = repoPath('test', 'engine', 'torch-backend', 'mnist_fixture.py');
    const made = spawnSync(PYTHON, [fixture, MNIST_DIR, dir, '1'], { encoding: 'utf8', timeout: 600_000 });
    assert.equal(made.status, 0, made.stderr);
    fs.writeFileSync(path.join(dir, 'trips.py'), TRIPS);
  });
  const torchArgs = (entry: string): string[] => [
    'eval',
    '--backend',
    'torch',
    '--entry',
    entry,
    '--trust-code',
    '--python',
    PYTHON,
    '--device',
    'cpu',
    '--workspace',
    dir,
  ];

  it('refuses to run an entry without --trust-code, and torch options without --backend torch', async () => {
    const refused = await cli([
      'eval',
      '--backend',
      'torch',
      '--entry',
      'small_net.py:small_net(10)',
      '--workspace',
      dir,
      ...COMMON,
    ]);
    assert.notEqual(refused.code, 0);
    assert.match(refused.err, /--trust-code/);
    const stray = await cli(['eval', path.join(dir, 'small_net.py'), '--device', 'cpu', '--workspace', dir, ...COMMON]);
    assert.notEqual(stray.code, 0);
    assert.match(stray.err, /--device is an option of --backend torch/);
  });

  it(
    'gives the accuracies ONNX Runtime gives on the same checkpoint, and names torch and the device',
    { skip: onnxRuntimeProblem() ?? false },
    async () => {
      const weights = path.join(dir, 'small_net.pt');
      const onTorch = await cli([...torchArgs('small_net.py:small_net(10)'), '--weights', weights, ...COMMON]);
      assert.equal(onTorch.code, 0, onTorch.err);
      const onOrt = await cli([
        'eval',
        path.join(dir, 'small_net.py'),
        '--backend',
        'onnxruntime',
        '--weights',
        weights,
        '--workspace',
        dir,
        ...COMMON,
      ]);
      assert.equal(onOrt.code, 0, onOrt.err);
      const a = summaryOf(onTorch.out).evaluation;
      const b = summaryOf(onOrt.out).evaluation;
      assert.ok(a && b);
      assert.ok(a.cleanAccuracy > 0.5, `the fixture is trained (clean ${a.cleanAccuracy})`);
      assert.equal(a.cleanAccuracy, b.cleanAccuracy);
      // The two back ends' gradients agree to float32 rounding; an attack's path may still split on
      // one image of the 40, so one image (2.5pp) is allowed here; the 1,000-image run is the 0.5pp check.
      for (const [i, attack] of a.attacks.entries()) {
        assert.ok(
          Math.abs(attack.robustAccuracy - (b.attacks[i]?.robustAccuracy ?? -1)) <= 1 / Number(N) + 1e-9,
          attack.name,
        );
      }
      assert.deepEqual(a.warnings ?? [], [], 'a trained, deterministic model trips no check');
      const runDir = summaryOf(onTorch.out).runDir;
      const env = JSON.parse(fs.readFileSync(path.join(runDir, 'environment.json'), 'utf8')) as {
        backend: string;
        device: string;
        torch: string;
      };
      assert.equal(env.backend, 'torch');
      assert.match(env.device, /^CPU .*PyTorch/);
      assert.match(env.torch, /^\d+\.\d+/);
      const result = JSON.parse(fs.readFileSync(path.join(runDir, 'result.json'), 'utf8')) as {
        backend: { torch: string };
      };
      assert.equal(result.backend.torch, env.torch);
    },
  );

  it('reads a .safetensors copy of the checkpoint as the .pt file: the same result for every image', async () => {
    const pt = path.join(dir, 'small_net.pt');
    const copy = path.join(dir, 'small_net.safetensors');
    // Written by the engine's export writer, with the DataParallel prefixes the worker must remove again.
    const tensors = readTorchWeights(pt).tensors;
    fs.writeFileSync(copy, writeSafetensors(new Map([...tensors].map(([k, t]) => [`module.${k}`, t]))));
    const args = [...torchArgs('small_net.py:small_net(10)'), ...COMMON];
    const fromPt = await cli([...args, '--weights', pt]);
    const fromCopy = await cli([...args, '--weights', copy]);
    assert.equal(fromCopy.code, 0, fromCopy.err);
    assert.equal(fromPt.code, 0, fromPt.err);
    const a = summaryOf(fromCopy.out);
    const b = summaryOf(fromPt.out);
    assert.ok((a.evaluation?.cleanAccuracy ?? 0) > 0.5, 'the trained weights were loaded');
    assert.deepEqual(a.evaluation?.perSample, b.evaluation?.perSample);
    const env = fs.readFileSync(path.join(a.runDir, 'environment.json'), 'utf8');
    const note = `PyTorch weights from ${copy} ("module." prefixes removed)`;
    assert.ok(env.includes(JSON.stringify(note)), env);
  });

  const trips: readonly [string, string][] = [
    ['trips.py:noisy()', 'randomised-logits'],
    ['trips.py:softmax()', 'probability-outputs'],
    ['trips.py:step()', 'zero-gradients'],
    ['trips.py:always_training()', 'state-changed'],
  ];
  for (const [entry, code] of trips) {
    it(`warns ${code} for ${entry}`, async () => {
      const out = await cli([...torchArgs(entry), ...COMMON, '--n', '20', '--batch-size', '20', '--attacks', 'fgsm']);
      assert.equal(out.code, 0, out.err);
      const codes = (summaryOf(out.out).evaluation?.warnings ?? []).map((w) => w.code);
      assert.ok(codes.includes(code as never), `${entry}: ${codes.join(', ')}`);
    });
  }
});
