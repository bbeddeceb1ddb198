import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { readCheckpoint, writeCheckpoint, CheckpointError } from '../../../src/engine/train/checkpoint';
import { catastrophicOverfitting } from '../../../src/engine/train/overfitting';
import { learningRateAt } from '../../../src/engine/train/schedule';
import { softmaxRows, tradesExamples } from '../../../src/engine/train/inner-max';
import { randomMlpClassifier } from '../support/mlp-classifier';
import { labelledBatch } from '../support/linear-geometry';
import { Random } from '../../../src/engine/util/random';

describe('training parts', () => {
  it('schedules the learning rate as the papers do', () => {
    const at = (kind: 'cosine' | 'step' | 'cyclic' | 'constant', epoch: number): number =>
      learningRateAt({ kind, maxLearningRate: 0.1, epochs: 10 }, epoch);
    assert.equal(at('cosine', 0), 0.1);
    assert.ok(Math.abs(at('cosine', 5) - 0.05) < 1e-12);
    assert.ok(Math.abs(at('cosine', 10)) < 1e-12);
    assert.deepEqual([at('step', 4.9), at('step', 5), at('step', 7.5)], [0.1, 0.01, 0.001]);
    assert.equal(at('cyclic', 0), 0);
    assert.ok(Math.abs(at('cyclic', 4) - 0.1) < 1e-12);
    assert.ok(Math.abs(at('cyclic', 10)) < 1e-12);
    assert.equal(at('constant', 9), 0.1);
  });

  it('calls catastrophic overfitting when PGD accuracy collapses while FGSM accuracy stays high', () => {
    assert.equal(
      catastrophicOverfitting([
        { fgsm: 0.5, pgd: 0.45 },
        { fgsm: 0.55, pgd: 0.47 },
      ]),
      undefined,
    );
    const message = catastrophicOverfitting([
      { fgsm: 0.5, pgd: 0.45 },
      { fgsm: 0.88, pgd: 0.02 },
    ]);
    assert.match(message ?? '', /PGD accuracy fell from 45\.0% to 2\.0% while FGSM accuracy is 88\.0%/);
    // A model that never became robust has nothing to collapse from.
    assert.equal(
      catastrophicOverfitting([
        { fgsm: 0.05, pgd: 0.0 },
        { fgsm: 0.6, pgd: 0.0 },
      ]),
      undefined,
    );
  });

  it('writes checkpoints atomically and refuses damaged ones with a clear message', (t) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rl-ckpt-'));
    t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
    const file = path.join(dir, 'run', 'checkpoint.rlck');
    const tensors = new Map([
      ['a.weight', { shape: [2, 3], data: Float32Array.from([1, 2, 3, 4, 5, 6]) }],
      ['a.bias', { shape: [3], data: Float32Array.from([-1, 0.5, 7]) }],
    ]);
    writeCheckpoint(file, { tensors }, { epochsDone: 2 });
    const back = readCheckpoint(file);
    assert.deepEqual(back.meta, { epochsDone: 2 });
    assert.deepEqual(Array.from(back.state.tensors.get('a.bias')?.data ?? []), [-1, 0.5, 7]);
    assert.deepEqual(back.state.tensors.get('a.weight')?.shape, [2, 3]);
    assert.deepEqual(fs.readdirSync(path.dirname(file)), ['checkpoint.rlck'], 'no temporary file is left behind');
    const bytes = fs.readFileSync(file);
    fs.writeFileSync(file, bytes.subarray(0, bytes.length - 5));
    assert.throws(
      () => readCheckpoint(file),
      (e: unknown) => e instanceof CheckpointError && /truncated/.test(e.message),
    );
    fs.writeFileSync(file, 'not a checkpoint');
    assert.throws(
      () => readCheckpoint(file),
      (e: unknown) => e instanceof CheckpointError && /not a Robustness Lens checkpoint/.test(e.message),
    );
    assert.throws(
      () => readCheckpoint(path.join(dir, 'missing.rlck')),
      (e: unknown) => e instanceof CheckpointError && /missing\.rlck: does not exist/.test(e.message),
    );
  });

  it("TRADES's inner maximisation raises the KL divergence from the clean prediction, within eps", async () => {
    const shape = { height: 4, width: 4, channels: 1 };
    const model = randomMlpClassifier(shape, 10, 16, 3);
    const batch = await labelledBatch(model, 8, 4);
    const threat = { norm: 'Linf' as const, eps: 0.05 };
    const xAdv = await tradesExamples(model, batch.x, batch.n, threat, 10, 0.01, new Random(0));
    const reference = softmaxRows(await model.logits(batch.x, batch.n), batch.n);
    const kl = (await model.inputGradient(xAdv, batch.n, { kind: 'kl', reference })).loss;
    assert.ok(
      kl.every((v) => v > 1e-6),
      'every sample moved away from its clean prediction',
    );
    for (let j = 0; j < xAdv.length; j++) assert.ok(Math.abs((xAdv[j] ?? 0) - (batch.x[j] ?? 0)) <= 0.05 + 1e-6);
  });
});
