import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { apgdCe, apgdPeriods, apgdTargeted, APGD_DEFAULTS, APGD_T_DEFAULTS } from '../../../src/engine/attacks/apgd';
import type { ThreatModel, ThreatNorm } from '../../../src/engine/attacks/attack';
import { attackByName, AUTOATTACK_STANDARD, runSequence } from '../../../src/engine/attacks/autoattack';
import { fgsm, pgd } from '../../../src/engine/attacks/pgd';
import { imageSize } from '../../../src/engine/model/classifier';
import { assertOutcomeValid } from '../support/attack-checks';
import { cancelAfter } from '../support/counting-classifier';
import { randomLinearClassifier } from '../support/linear-classifier';
import { boundaryDistances, labelledBatch } from '../support/linear-geometry';
import { randomMlpClassifier } from '../support/mlp-classifier';

const SHAPE = { height: 4, width: 4, channels: 2 };
const SIZE = imageSize(SHAPE);
const NORMS: readonly ThreatNorm[] = ['Linf', 'L2'];

describe('FGSM, PGD and APGD', () => {
  it('FGSM on a two-class linear model takes the exact worst-case Linf perturbation', async () => {
    const model = randomLinearClassifier(SHAPE, 2, 5, 2);
    const batch = await labelledBatch(model, 10, 6);
    const eps = 0.05;
    const out = await fgsm(model, batch, { norm: 'Linf', eps }, { seed: 0 });
    const distances = boundaryDistances(model, batch, 'Linf');
    for (let i = 0; i < batch.n; i++) {
      const y = batch.labels[i] ?? 0;
      const other = 1 - y;
      for (let j = 0; j < SIZE; j++) {
        // The margin z_y - z_t falls fastest along -sign(w_y - w_t): every pixel moves by eps.
        const direction = Math.sign((model.weights[other * SIZE + j] ?? 0) - (model.weights[y * SIZE + j] ?? 0));
        assert.ok(Math.abs((out.xAdv[i * SIZE + j] ?? 0) - ((batch.x[i * SIZE + j] ?? 0) + eps * direction)) < 1e-6);
      }
      assert.equal(out.robust[i], (distances[i] ?? 0) > eps ? 1 : 0, `sample ${i} at distance ${distances[i]}`);
    }
  });

  it('FGSM equals one PGD step of size eps without random start', async () => {
    const model = randomLinearClassifier(SHAPE, 10, 7, 2);
    const batch = await labelledBatch(model, 16, 8);
    const threat: ThreatModel = { norm: 'Linf', eps: 0.03 };
    const a = await fgsm(model, batch, threat, { seed: 0 });
    const b = await pgd(
      model,
      batch,
      threat,
      { seed: 0 },
      { steps: 1, stepSize: threat.eps, randomStart: false, restarts: 1, loss: 'ce' },
    );
    assert.deepEqual(Array.from(a.robust), Array.from(b.robust));
    for (let j = 0; j < a.xAdv.length; j++) assert.ok(Math.abs((a.xAdv[j] ?? 0) - (b.xAdv[j] ?? 0)) < 1e-7);
  });

  for (const norm of NORMS) {
    it(`${norm}: PGD, APGD-CE and APGD-T break what lies inside eps on a linear model and nothing beyond`, async () => {
      const model = randomLinearClassifier(SHAPE, 10, 9, 2);
      const batch = await labelledBatch(model, 16, 10);
      const distances = boundaryDistances(model, batch, norm);
      const eps = [...distances].sort((x, y) => x - y)[8] ?? 0;
      const threat: ThreatModel = { norm, eps };
      const fast = { ...APGD_DEFAULTS, iterations: 40 };
      // Cross-entropy mixes every class's direction, so PGD and APGD-CE may stop short of the
      // nearest boundary; the targeted DLR loss aims at each boundary in turn and must reach it.
      for (const [name, reach, run] of [
        [
          'pgd',
          0.75,
          () => pgd(model, batch, threat, { seed: 1 }, { steps: 40, randomStart: true, restarts: 2, loss: 'ce' }),
        ],
        ['apgd-ce', 0.75, () => apgdCe(model, batch, threat, { seed: 1 }, fast)],
        ['apgd-t', 0.9, () => apgdTargeted(model, batch, threat, { seed: 1 }, { ...APGD_T_DEFAULTS, iterations: 40 })],
      ] as const) {
        const out = await run();
        await assertOutcomeValid(model, batch, threat, out);
        distances.forEach((d, i) => {
          if (d > eps) assert.equal(out.robust[i], 1, `${name}: sample ${i} at ${d} > eps ${eps} cannot be broken`);
          if (d < reach * eps)
            assert.equal(out.robust[i], 0, `${name}: sample ${i} at ${d} < ${reach} eps should be broken`);
        });
      }
    });
  }

  it('APGD checks its step size at the iterations the paper gives for N = 100', () => {
    const { first, decrease, minimum } = apgdPeriods(100);
    const checks: number[] = [];
    for (let at = 0, period = first; at + period <= 100; period = Math.max(period - decrease, minimum)) {
      at += period;
      checks.push(at);
    }
    // w_j = ceil(p_j N) with p_0 = 0, p_1 = 0.22, p_{j+1} = p_j + max(p_j - p_{j-1} - 0.03, 0.06).
    assert.deepEqual(checks, [22, 41, 57, 70, 80, 87, 93, 99]);
  });

  it('AutoAttack breaks at least what each of its attacks breaks alone, within eps and [0,1]', async () => {
    const model = randomMlpClassifier(SHAPE, 10, 16, 12);
    const batch = await labelledBatch(model, 24, 13);
    const threat: ThreatModel = { norm: 'Linf', eps: 0.03 };
    const attacks = AUTOATTACK_STANDARD.map((name) => attackByName(name));
    const whole = await runSequence(model, batch, threat, attacks, { seed: 0 });
    await assertOutcomeValid(model, batch, threat, { xAdv: whole.xAdv, robust: whole.robust });
    const robustCount = whole.robust.reduce((s, v) => s + v, 0);
    for (const attack of attacks) {
      const alone = await attack.run(model, batch, threat, { seed: 0 });
      assert.ok(
        robustCount <= alone.robust.reduce((s, v) => s + v, 0),
        `AutoAttack left ${robustCount} robust, ${attack.name} alone fewer`,
      );
    }
    // Each stage only removes points.
    let previous = whole.clean;
    for (const stage of whole.afterEach) {
      stage.robust.forEach((r, i) => assert.ok(r <= (previous[i] ?? 0)));
      previous = stage.robust;
    }
    assert.ok(robustCount < whole.clean.reduce((s, v) => s + v, 0), 'the attacks broke nothing: the test says nothing');
  });

  it('stops when the run is cancelled', async () => {
    const model = randomMlpClassifier(SHAPE, 10, 16, 14);
    const batch = await labelledBatch(model, 4, 15);
    await assert.rejects(
      apgdCe(model, batch, { norm: 'Linf', eps: 0.03 }, { seed: 0, checkpoint: cancelAfter(5) }),
      /cancel/i,
    );
  });
});
