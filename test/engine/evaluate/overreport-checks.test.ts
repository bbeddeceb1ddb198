import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import { readModelFile, type Network } from '../../../src/core';
import { apgdCe, APGD_DEFAULTS } from '../../../src/engine/attacks/apgd';
import type { ThreatModel } from '../../../src/engine/attacks/attack';
import { runSequence, type NamedAttack } from '../../../src/engine/attacks/autoattack';
import { withEot } from '../../../src/engine/attacks/eot';
import { squareAttack } from '../../../src/engine/attacks/square';
import { loadBundledMnist } from '../../../src/engine/data/bundled-mnist';
import { batchOf, take, type Dataset } from '../../../src/engine/data/dataset';
import type { EvalWarning } from '../../../src/engine/evaluate/eval-warnings';
import { OverreportChecks } from '../../../src/engine/evaluate/overreport-checks';
import type { Classifier } from '../../../src/engine/model/classifier';
import { KNOWN_NORMALIZATIONS } from '../../../src/engine/tfjs/normalize-input';
import { selectTfjsBackend } from '../../../src/engine/tfjs/select-backend';
import { TfjsClassifier } from '../../../src/engine/tfjs/tfjs-classifier';
import { TRAIN_DEFAULTS } from '../../../src/engine/train/train-config';
import { train } from '../../../src/engine/train/train-loop';
import {
  driftingModel,
  noisyInput,
  quantisedInput,
  scaledInput,
  softmaxOutput,
  statefulModel,
} from '../support/tripping-classifiers';

const ROOT = path.resolve(__dirname, '../../../..');
const MNIST_DIR = path.join(ROOT, 'dist-test', 'data', 'mnist-bundled');
const THREAT: ThreatModel = { norm: 'Linf', eps: 0.1 };

function network(file: string): Network {
  const full = path.join(ROOT, file);
  const net = readModelFile(full, fs.readFileSync(full, 'utf8')).network;
  assert.ok(net, `${file} did not read`);
  return net;
}

/** The bundled example, trained briefly on MNIST (clean training: a few hundred steps). */
async function trainedMnistSmall(data: { train: Dataset; test: Dataset }): Promise<TfjsClassifier> {
  const model = new TfjsClassifier(network('examples/mnist-small.arch.yaml'), {
    inputShape: { height: 28, width: 28, channels: 1 },
    numClasses: 10,
    normalization: KNOWN_NORMALIZATIONS.mnist,
    seed: 11,
  });
  const config = {
    ...TRAIN_DEFAULTS,
    method: 'standard' as const,
    threat: THREAT,
    epochs: 1,
    batchSize: 32,
    learningRate: 0.05,
    evalSamples: 50,
    evalPgdSteps: 1,
    seed: 7,
  };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rl-overreport-'));
  try {
    const checkpointFile = path.join(dir, 'c.rlck');
    const out = await train(model, data, config, { checkpointFile, resume: false, isCancelled: () => false });
    assert.equal(out.status, 'completed');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return model;
}

const attacks = (apgdIterations: number, squareQueries: number): NamedAttack[] => [
  { name: 'apgd-ce', run: (m, b, t, c) => apgdCe(m, b, t, c, { ...APGD_DEFAULTS, iterations: apgdIterations }) },
  { name: 'square', run: (m, b, t, c) => squareAttack(m, b, t, c, { nQueries: squareQueries }) },
];

/** The whole protocol of execute-eval on one batch: probe, attacks, probe again, figures. */
async function evaluate(
  model: Classifier,
  data: Dataset,
  threat: ThreatModel,
  untrained = false,
  named = attacks(10, 100),
): Promise<EvalWarning[]> {
  const batch = batchOf(
    data,
    Array.from({ length: data.n }, (_, i) => i),
  );
  const checks = new OverreportChecks(untrained);
  await checks.before(model, batch);
  const out = await runSequence(model, batch, threat, named, { seed: 0 });
  await checks.after(model);
  const clean = out.clean.reduce((s, f) => s + f, 0) / data.n;
  return checks.finish(
    clean,
    data.n,
    model.numClasses,
    named.map((a) => a.name),
    out.afterEach.map((a) => a.robust),
  );
}

const codes = (warnings: readonly EvalWarning[]): string[] => warnings.map((w) => w.code);

describe('checks against over-reported robustness', () => {
  let model: TfjsClassifier;
  let probe: Dataset;
  before(async () => {
    await selectTfjsBackend('wasm');
    const mnist = loadBundledMnist(MNIST_DIR);
    assert.ok(mnist.train);
    model = await trainedMnistSmall({ train: take(mnist.train, 640), test: take(mnist.test, 50) });
    probe = take(mnist.test, 20);
  });

  it('stay silent on the trained example model', async () => {
    const warnings = await evaluate(model, probe, THREAT);
    assert.deepEqual(warnings, []);
  });

  it('say so when the weights are untrained, first', async () => {
    const warnings = await evaluate(model, probe, THREAT, true);
    assert.equal(warnings[0]?.code, 'untrained-weights');
  });

  it('catch a randomised model (noise on its input)', async () => {
    const warnings = await evaluate(noisyInput(model, 0.05, 1), probe, THREAT, false, attacks(2, 10));
    assert.ok(codes(warnings).includes('randomised-logits'), codes(warnings).join());
    // Randomness alone must not read as a state change.
    assert.ok(!codes(warnings).includes('state-changed'));
  });

  it('catch probabilities instead of logits (a final softmax)', async () => {
    const checks = new OverreportChecks(false);
    await checks.before(softmaxOutput(model), batchOf(probe, [0, 1, 2, 3]));
    assert.deepEqual(codes(checks.finish(1, 4, 10, [], [])), ['probability-outputs']);
  });

  it('count zero input gradients, and Square breaking what APGD could not (quantised input)', async () => {
    const masked = quantisedInput(model, 2);
    const warnings = await evaluate(masked, probe, { norm: 'Linf', eps: 0.3 }, false, attacks(5, 300));
    const zero = warnings.find((w) => w.code === 'zero-gradients');
    assert.ok(zero, codes(warnings).join());
    assert.match(zero.message, /^20 of 20 probed images \(100\.0%\)/);
    assert.ok(codes(warnings).includes('black-box-beats-gradient'), codes(warnings).join());
  });

  it('catch state that the attacks change (running statistics exposed by getState)', async () => {
    const warnings = await evaluate(statefulModel(model), probe, THREAT, false, attacks(2, 10));
    assert.deepEqual(codes(warnings), ['state-changed']);
    assert.match(warnings[0]?.message ?? '', /bn\.running_mean/);
  });

  it("catch state that the attacks change (the same images' logits before and after)", async () => {
    const warnings = await evaluate(driftingModel(model), probe, THREAT, false, attacks(2, 10));
    assert.ok(codes(warnings).includes('state-changed'), codes(warnings).join());
    assert.ok(!codes(warnings).includes('randomised-logits'));
  });

  it('catch clean accuracy near chance (pixels in the wrong range)', async () => {
    const mnist = loadBundledMnist(MNIST_DIR);
    const checks = new OverreportChecks(false);
    const wrong = scaledInput(model, 1 / 255);
    const data = take(mnist.test, 100);
    const batch = batchOf(
      data,
      Array.from({ length: data.n }, (_, i) => i),
    );
    const logits = await wrong.logits(batch.x, batch.n);
    let right = 0;
    for (let i = 0; i < batch.n; i++) {
      const row = Array.from(logits.subarray(i * 10, (i + 1) * 10));
      if (row.indexOf(Math.max(...row)) === batch.labels[i]) right += 1;
    }
    assert.deepEqual(codes(checks.finish(right / batch.n, batch.n, 10, [], [])), ['near-chance']);
    assert.deepEqual(codes(new OverreportChecks(false).finish(0.9, 100, 10, [], [])), []);
  });

  it('EOT averages the gradient of several calls (equal to one call on a deterministic model)', async () => {
    const batch = batchOf(probe, [0, 1]);
    const objective = { kind: 'ce' as const, labels: batch.labels };
    const one = await model.inputGradient(batch.x, batch.n, objective);
    const eot = await withEot(model, 3).inputGradient(batch.x, batch.n, objective);
    for (let j = 0; j < one.grad.length; j++) {
      const g = one.grad[j] ?? 0;
      assert.ok(Math.abs(g - (eot.grad[j] ?? 0)) <= 1e-6 * (1 + Math.abs(g)));
    }
    const noisy = noisyInput(model, 0.05, 3);
    const a = await withEot(noisy, 8).inputGradient(batch.x, batch.n, objective);
    const b = await noisy.inputGradient(batch.x, batch.n, objective);
    assert.notDeepEqual(a.grad, b.grad);
  });
});
