import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { AttackBatch, ThreatModel, ThreatNorm } from '../../../src/engine/attacks/attack';
import { fabTargeted, FAB_STANDARD } from '../../../src/engine/attacks/fab';
import { imageSize } from '../../../src/engine/model/classifier';
import { assertOutcomeValid, perturbationNorms } from '../support/attack-checks';
import { countingClassifier, cancelAfter } from '../support/counting-classifier';
import { boundaryDistances, labelledBatch } from '../support/linear-geometry';
import { randomLinearClassifier } from '../support/linear-classifier';
import { randomMlpClassifier } from '../support/mlp-classifier';

const SHAPE = { height: 4, width: 4, channels: 3 };
const SIZE = imageSize(SHAPE);
const CLASSES = 10;
const NORMS: ThreatNorm[] = ['Linf', 'L2'];
/** Fewer iterations than AutoAttack's 100 keep the tests fast; the linear model converges sooner. */
const FAST = { nIter: 30 };

describe('FAB-T', () => {
  const linear = randomLinearClassifier(SHAPE, CLASSES, 21, 2);

  for (const norm of NORMS) {
    it(`${norm}: breaks exactly the points whose nearest boundary is inside eps (linear model)`, async () => {
      const batch = await labelledBatch(linear, 12, 31);
      const nearest = boundaryDistances(linear, batch, norm);
      const eps = [...nearest].sort((a, b) => a - b)[6] ?? 0;
      const threat: ThreatModel = { norm, eps };
      const outcome = await fabTargeted(linear, batch, threat, { seed: 0 }, FAST);
      await assertOutcomeValid(linear, batch, threat, outcome);
      nearest.forEach((d, i) => {
        if (d > eps) assert.equal(outcome.robust[i], 1, `sample ${i} at ${d} > eps ${eps} cannot be broken`);
        // FAB approaches the boundary from outside; 1% slack covers its overshoot.
        if (d < eps / 1.01) assert.equal(outcome.robust[i], 0, `sample ${i} at ${d} < eps ${eps} should be broken`);
      });
      assert.ok(outcome.robust.includes(0) && outcome.robust.includes(1));
    });

    it(`${norm}: the perturbation it finds is within 1% of the minimal one (linear model)`, async () => {
      const batch = await labelledBatch(linear, 6, 32);
      const nearest = boundaryDistances(linear, batch, norm);
      for (let i = 0; i < batch.n; i++) {
        const one: AttackBatch = {
          x: batch.x.slice(i * SIZE, (i + 1) * SIZE),
          labels: batch.labels.slice(i, i + 1),
          n: 1,
        };
        const d = nearest[i] ?? 0;
        // AutoAttack's standard settings, 100 iterations.
        const outcome = await fabTargeted(linear, one, { norm, eps: 1.01 * d }, { seed: 0 });
        assert.equal(outcome.robust[0], 0, `sample ${i}: nothing found within 1% of ${d}`);
      }
    });

    it(`${norm}: with one boundary, the distance found converges to the distance to it`, async () => {
      const binary = randomLinearClassifier(SHAPE, 2, 22, 2);
      const batch = await labelledBatch(binary, 8, 38);
      const nearest = boundaryDistances(binary, batch, norm);
      const threat: ThreatModel = { norm, eps: 10 };
      const outcome = await fabTargeted(binary, batch, threat, { seed: 0 }, FAST);
      perturbationNorms(batch, outcome.xAdv, threat, SIZE).forEach((found, i) => {
        const ratio = found / (nearest[i] ?? 1);
        assert.ok(ratio >= 1 - 1e-5 && ratio <= 1.01, `sample ${i}: found ${found}, minimal ${nearest[i]}`);
      });
      assert.ok(outcome.robust.every((r) => r === 0));
    });

    it(`${norm}: keeps its promises on a ReLU network`, async () => {
      const mlp = randomMlpClassifier(SHAPE, CLASSES, 24, 7);
      const batch = await labelledBatch(mlp, 10, 33);
      const threat: ThreatModel = { norm, eps: norm === 'Linf' ? 0.03 : 0.3 };
      const outcome = await fabTargeted(mlp, batch, threat, { seed: 1 }, FAST);
      await assertOutcomeValid(mlp, batch, threat, outcome);
    });
  }

  it('counts misclassified points as broken, returns them unchanged and does not attack them', async () => {
    const correct = await labelledBatch(linear, 4, 34);
    const labels = Int32Array.from(correct.labels, (y, i) => (i % 2 === 0 ? (y + 1) % CLASSES : y));
    const batch: AttackBatch = { ...correct, labels };
    const threat: ThreatModel = { norm: 'Linf', eps: 1e-4 };
    const counting = countingClassifier(linear);
    const outcome = await fabTargeted(counting, batch, threat, { seed: 0 }, FAST);
    await assertOutcomeValid(linear, batch, threat, outcome);
    assert.deepEqual(Array.from(outcome.robust), [0, 1, 0, 1]);
    assert.deepEqual(outcome.xAdv, batch.x);
    // After the clean pass, only the two correctly classified points are sent to the model, once per target.
    const targets = Math.min(FAB_STANDARD.nTargetClasses, CLASSES - 1);
    assert.ok(
      counting.batchSizes.slice(1).every((m) => m === 2 * targets),
      JSON.stringify(counting.batchSizes),
    );
  });

  it('attacks only the top classes after the true one, at most classes - 1 of them', async () => {
    const model = randomLinearClassifier(SHAPE, 4, 5, 2);
    const batch = await labelledBatch(model, 3, 35);
    const counting = countingClassifier(model);
    await fabTargeted(counting, batch, { norm: 'L2', eps: 1e-6 }, { seed: 0 }, { nIter: 2 });
    // Clean logits, then the runs toward all 3 targets in one batch: two passes per iteration and the final check.
    assert.equal(counting.batchSizes.length, 1 + (2 * 2 + 1));
    assert.ok(
      counting.batchSizes.slice(1).every((m) => m === 3 * batch.n),
      JSON.stringify(counting.batchSizes),
    );
  });

  it('gives the same result whatever the grouping of targets into batches (one restart)', async () => {
    const mlp = randomMlpClassifier(SHAPE, CLASSES, 24, 9);
    const batch = await labelledBatch(mlp, 12, 38);
    const threat: ThreatModel = { norm: 'L2', eps: 0.4 };
    const allAtOnce = await fabTargeted(mlp, batch, threat, { seed: 0 }, { ...FAST, groupRows: 1000 });
    // Some points break and some do not, else the comparison says little.
    assert.ok(allAtOnce.robust.includes(0) && allAtOnce.robust.includes(1), String(allAtOnce.robust));
    for (const groupRows of [1, 30]) {
      const grouped = await fabTargeted(mlp, batch, threat, { seed: 0 }, { ...FAST, groupRows });
      assert.deepEqual(grouped.robust, allAtOnce.robust, `groupRows ${groupRows}`);
      assert.deepEqual(grouped.xAdv, allAtOnce.xAdv, `groupRows ${groupRows}`);
    }
  });

  it('never sends the model more than max(rows, groupRows) rows, only the rows still robust', async () => {
    const batch = await labelledBatch(linear, 10, 39);
    const counting = countingClassifier(linear);
    const threat: ThreatModel = { norm: 'Linf', eps: 0.05 };
    const outcome = await fabTargeted(counting, batch, threat, { seed: 0 }, { nIter: 3, groupRows: 25 });
    await assertOutcomeValid(linear, batch, threat, outcome);
    const sizes = counting.batchSizes.slice(1);
    assert.ok(
      sizes.every((m) => m <= 25),
      JSON.stringify(sizes),
    );
    // The first group is two targets of every point; the last, one target of the points still robust.
    assert.equal(sizes[0], 20);
    const robustLeft = outcome.robust.filter((r) => r === 1).length;
    assert.ok((sizes.at(-1) ?? 0) >= robustLeft, JSON.stringify(sizes));
  });

  it('stops when the checkpoint throws', async () => {
    const batch = await labelledBatch(linear, 4, 36);
    const counting = countingClassifier(linear);
    const context = { seed: 0, checkpoint: cancelAfter(5) };
    await assert.rejects(fabTargeted(counting, batch, { norm: 'Linf', eps: 0.1 }, context, FAST), /cancelled/);
    assert.equal(counting.batchSizes.length, 4);
  });

  it('a seed fixes the result of random restarts', async () => {
    const mlp = randomMlpClassifier(SHAPE, CLASSES, 24, 8);
    const batch = await labelledBatch(mlp, 6, 37);
    const threat: ThreatModel = { norm: 'L2', eps: 0.5 };
    const options = { nIter: 10, nRestarts: 2, nTargetClasses: 2 };
    const first = await fabTargeted(mlp, batch, threat, { seed: 3 }, options);
    const again = await fabTargeted(mlp, batch, threat, { seed: 3 }, options);
    assert.deepEqual(again, first);
    assert.notDeepEqual(await fabTargeted(mlp, batch, threat, { seed: 4 }, options), first);
    await assertOutcomeValid(mlp, batch, threat, first);
  });
});
