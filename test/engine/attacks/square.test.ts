import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { AttackBatch, ThreatModel, ThreatNorm } from '../../../src/engine/attacks/attack';
import { squareAttack } from '../../../src/engine/attacks/square';
import { imageSize } from '../../../src/engine/model/classifier';
import { assertOutcomeValid, perturbationNorms } from '../support/attack-checks';
import { cancelAfter, countingClassifier } from '../support/counting-classifier';
import { boundaryDistances, labelledBatch } from '../support/linear-geometry';
import { randomLinearClassifier } from '../support/linear-classifier';
import { randomMlpClassifier } from '../support/mlp-classifier';

const SHAPE = { height: 6, width: 6, channels: 3 };
const SIZE = imageSize(SHAPE);
const CLASSES = 10;
const NORMS: ThreatNorm[] = ['Linf', 'L2'];
const QUERIES = 300;

describe('Square Attack', () => {
  const linear = randomLinearClassifier(SHAPE, CLASSES, 41, 2);

  for (const norm of NORMS) {
    it(`${norm}: flips every prediction when eps is well beyond the boundaries (linear model)`, async () => {
      const batch = await labelledBatch(linear, 8, 51);
      const farthest = Math.max(...boundaryDistances(linear, batch, norm));
      const threat: ThreatModel = { norm, eps: 3 * farthest };
      const outcome = await squareAttack(linear, batch, threat, { seed: 0 }, { nQueries: QUERIES });
      await assertOutcomeValid(linear, batch, threat, outcome);
      assert.deepEqual(Array.from(outcome.robust), new Array<number>(batch.n).fill(0));
    });

    it(`${norm}: leaves every point robust when eps is inside all boundaries (linear model)`, async () => {
      const batch = await labelledBatch(linear, 8, 52);
      const nearest = Math.min(...boundaryDistances(linear, batch, norm));
      const threat: ThreatModel = { norm, eps: 0.9 * nearest };
      const outcome = await squareAttack(linear, batch, threat, { seed: 0 }, { nQueries: 50 });
      await assertOutcomeValid(linear, batch, threat, outcome);
      assert.deepEqual(Array.from(outcome.robust), new Array<number>(batch.n).fill(1));
      assert.deepEqual(outcome.xAdv, batch.x);
    });

    it(`${norm}: keeps its promises on a ReLU network`, async () => {
      const mlp = randomMlpClassifier(SHAPE, CLASSES, 24, 9);
      const batch = await labelledBatch(mlp, 8, 53);
      const threat: ThreatModel = { norm, eps: norm === 'Linf' ? 0.05 : 0.5 };
      const outcome = await squareAttack(mlp, batch, threat, { seed: 2 }, { nQueries: QUERIES });
      await assertOutcomeValid(mlp, batch, threat, outcome);
    });

    it(`${norm}: a seed fixes the result`, async () => {
      const batch = await labelledBatch(linear, 4, 54);
      const threat: ThreatModel = { norm, eps: norm === 'Linf' ? 0.02 : 0.2 };
      const first = await squareAttack(linear, batch, threat, { seed: 7 }, { nQueries: 40 });
      assert.deepEqual(await squareAttack(linear, batch, threat, { seed: 7 }, { nQueries: 40 }), first);
      assert.notDeepEqual(await squareAttack(linear, batch, threat, { seed: 8 }, { nQueries: 40 }), first);
    });
  }

  it('Linf: adversarial examples sit on the vertices of the ball (up to the box)', async () => {
    const batch = await labelledBatch(linear, 6, 55);
    const eps = 3 * Math.max(...boundaryDistances(linear, batch, 'Linf'));
    const outcome = await squareAttack(linear, batch, { norm: 'Linf', eps }, { seed: 0 }, { nQueries: QUERIES });
    assert.ok(outcome.robust.every((r) => r === 0));
    outcome.xAdv.forEach((v, k) => {
      const step = Math.abs(v - (batch.x[k] ?? 0));
      assert.ok(Math.abs(step - eps) < 1e-6 || v === 0 || v === 1, `value ${k} moved by ${step}, eps ${eps}`);
    });
  });

  it('L2: adversarial examples lie on the eps-sphere unless the box clips them', async () => {
    const batch = await labelledBatch(linear, 6, 56);
    const threat: ThreatModel = { norm: 'L2', eps: 3 * Math.max(...boundaryDistances(linear, batch, 'L2')) };
    const outcome = await squareAttack(linear, batch, threat, { seed: 0 }, { nQueries: QUERIES });
    assert.ok(outcome.robust.every((r) => r === 0));
    perturbationNorms(batch, outcome.xAdv, threat, SIZE).forEach((norm, i) => {
      const clipped = outcome.xAdv.subarray(i * SIZE, (i + 1) * SIZE).some((v) => v === 0 || v === 1);
      if (!clipped) assert.ok(Math.abs(norm - threat.eps) < 1e-5, `sample ${i}: norm ${norm}, eps ${threat.eps}`);
    });
  });

  it('queries only the points that are still robust, and only their logits', async () => {
    const correct = await labelledBatch(linear, 6, 57);
    const labels = Int32Array.from(correct.labels, (y, i) => (i === 0 ? (y + 1) % CLASSES : y));
    const batch: AttackBatch = { ...correct, labels };
    const distances = boundaryDistances(linear, correct, 'Linf');
    const eps = 3 * Math.max(...distances.slice(1));
    const counting = countingClassifier(linear);
    const outcome = await squareAttack(counting, batch, { norm: 'Linf', eps }, { seed: 0 }, { nQueries: QUERIES });
    assert.equal(counting.gradientCalls(), 0);
    assert.equal(outcome.robust[0], 0);
    assert.deepEqual(outcome.xAdv.subarray(0, SIZE), batch.x.subarray(0, SIZE));
    const [clean, init, ...rest] = counting.batchSizes;
    assert.equal(clean, 6);
    assert.equal(init, 5);
    // Batches shrink as points break, and the attack ends (with one final check) once all are broken.
    for (let k = 1; k < rest.length - 1; k++) assert.ok((rest[k] ?? 0) <= (rest[k - 1] ?? 0));
    assert.ok(rest.length < QUERIES);
    assert.ok(outcome.robust.every((r) => r === 0));
  });

  it('stops when the checkpoint throws', async () => {
    const batch = await labelledBatch(linear, 4, 58);
    const counting = countingClassifier(linear);
    const context = { seed: 0, checkpoint: cancelAfter(10) };
    await assert.rejects(
      squareAttack(counting, batch, { norm: 'L2', eps: 1e-3 }, context, { nQueries: QUERIES }),
      /cancelled/,
    );
    assert.equal(counting.batchSizes.length, 9);
  });

  it('returns at once when nothing is classified correctly', async () => {
    const correct = await labelledBatch(linear, 3, 59);
    const batch: AttackBatch = { ...correct, labels: correct.labels.map((y) => (y + 1) % CLASSES) };
    const counting = countingClassifier(linear);
    const outcome = await squareAttack(counting, batch, { norm: 'Linf', eps: 0.1 }, { seed: 0 });
    assert.deepEqual(Array.from(outcome.robust), [0, 0, 0]);
    assert.deepEqual(outcome.xAdv, batch.x);
    assert.equal(counting.batchSizes.length, 1);
  });
});
