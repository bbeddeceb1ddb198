/**
 * Closed-form facts about the linear test model that the attack tests compare against: for an
 * affine classifier the set where class y wins is a polytope, and the distance from x to its
 * complement is min_{t != y} (z_y - z_t) / ||w_y - w_t||_*, with ||.||_* the dual norm (L1 for
 * Linf, L2 for L2), as long as the box [0,1] does not get in the way.
 */
import type { AttackBatch, ThreatNorm } from '../../../src/engine/attacks/attack';
import type { Classifier } from '../../../src/engine/model/classifier';
import { imageSize } from '../../../src/engine/model/classifier';
import { Random } from '../../../src/engine/util/random';
import type { LinearClassifier } from './linear-classifier';

/** n images uniform in [0.3, 0.7] (well inside the box), labelled with the model's predictions. */
export async function labelledBatch(model: Classifier, n: number, seed: number): Promise<AttackBatch> {
  const random = new Random(seed);
  const x = Float32Array.from({ length: n * imageSize(model.inputShape) }, () => random.uniform(0.3, 0.7));
  const logits = await model.logits(x, n);
  const classes = model.numClasses;
  const labels = Int32Array.from({ length: n }, (_, i) => {
    const z = Array.from(logits.subarray(i * classes, (i + 1) * classes));
    return z.indexOf(Math.max(...z));
  });
  return { x, labels, n };
}

/** Per sample, the distance in `norm` to the nearest decision boundary of its label. */
export function boundaryDistances(model: LinearClassifier, batch: AttackBatch, norm: ThreatNorm): number[] {
  const size = imageSize(model.inputShape);
  return Array.from({ length: batch.n }, (_, i) => {
    const z = model.logitsOf(batch.x, i);
    const y = batch.labels[i] ?? 0;
    let nearest = Infinity;
    for (let t = 0; t < model.numClasses; t++) {
      if (t === y) continue;
      let dual = 0;
      for (let j = 0; j < size; j++) {
        const diff = (model.weights[y * size + j] ?? 0) - (model.weights[t * size + j] ?? 0);
        dual += norm === 'Linf' ? Math.abs(diff) : diff * diff;
      }
      if (norm === 'L2') dual = Math.sqrt(dual);
      nearest = Math.min(nearest, ((z[y] ?? 0) - (z[t] ?? 0)) / dual);
    }
    return nearest;
  });
}
