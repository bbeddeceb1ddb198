/** The promises every attack's outcome must keep, as assertions for the attack tests. */
import assert from 'node:assert/strict';
import type { AttackBatch, AttackOutcome, ThreatModel } from '../../../src/engine/attacks/attack';
import type { Classifier } from '../../../src/engine/model/classifier';
import { imageSize } from '../../../src/engine/model/classifier';

/** Per sample ||xAdv - x|| in the threat's norm, in double precision. */
export function perturbationNorms(batch: AttackBatch, xAdv: Float32Array, threat: ThreatModel, size: number): number[] {
  return Array.from({ length: batch.n }, (_, i) => {
    let result = 0;
    for (let k = i * size; k < (i + 1) * size; k++) {
      const diff = (xAdv[k] ?? 0) - (batch.x[k] ?? 0);
      result = threat.norm === 'Linf' ? Math.max(result, Math.abs(diff)) : result + diff * diff;
    }
    return threat.norm === 'Linf' ? result : Math.sqrt(result);
  });
}

/**
 * xAdv inside [0,1] and inside the eps-ball around x (float32 rounding allowed for), and `robust`
 * equal to "the model still predicts the label on xAdv".
 */
export async function assertOutcomeValid(
  model: Classifier,
  batch: AttackBatch,
  threat: ThreatModel,
  outcome: AttackOutcome,
): Promise<void> {
  const size = imageSize(model.inputShape);
  assert.equal(outcome.xAdv.length, batch.n * size);
  assert.equal(outcome.robust.length, batch.n);
  for (const v of outcome.xAdv) assert.ok(v >= 0 && v <= 1, `pixel ${v} outside [0,1]`);
  const tolerance = threat.norm === 'Linf' ? 1e-6 : 1e-5;
  perturbationNorms(batch, outcome.xAdv, threat, size).forEach((norm, i) =>
    assert.ok(norm <= threat.eps + tolerance, `sample ${i}: ${threat.norm} perturbation ${norm} > eps ${threat.eps}`),
  );
  const logits = await model.logits(outcome.xAdv, batch.n);
  const classes = model.numClasses;
  for (let i = 0; i < batch.n; i++) {
    const z = Array.from(logits.subarray(i * classes, (i + 1) * classes));
    const predicted = z.indexOf(Math.max(...z));
    assert.equal(
      outcome.robust[i],
      predicted === batch.labels[i] ? 1 : 0,
      `sample ${i}: robust flag disagrees with the model`,
    );
  }
}
