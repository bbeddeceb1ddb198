import type { Classifier, ModelState } from '../model/classifier';
import { firstNonFinite } from '../train/training-checkpoint';

/**
 * A model whose weights or outputs are not numbers: every attack "fails" against NaN logits, so
 * its accuracy figures would be noise presented as a result (a NaN model scores ~1/classes).
 */
export class NonFiniteModelError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NonFiniteModelError';
  }
}

export function checkFiniteWeights(state: ModelState, source: string): void {
  const broken = firstNonFinite(state);
  if (!broken) return;
  throw new NonFiniteModelError(
    `${source}: a weight is not a number (${broken}); no accuracy of this model would mean anything`,
  );
}

/** The clean logits of a batch, refused when any is NaN or infinite. */
export async function checkFiniteLogits(
  model: Classifier,
  x: Float32Array,
  n: number,
  firstIndex: number,
  source: string,
): Promise<void> {
  const logits = await model.logits(x, n);
  const i = logits.findIndex((v) => !Number.isFinite(v));
  if (i < 0) return;
  const image = firstIndex + Math.floor(i / (logits.length / n));
  throw new NonFiniteModelError(
    `${source}: the model's output for test image ${image} is ${logits[i]}; ` +
      'no accuracy of this model would mean anything (check its weights and input scaling)',
  );
}
