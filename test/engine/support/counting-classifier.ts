/** Wrappers that watch how an attack uses its model and its context. */
import type { Classifier, InputGradient, InputObjective } from '../../../src/engine/model/classifier';

export interface CountingClassifier extends Classifier {
  /** The batch size of every model call (logits and gradients), in order. */
  readonly batchSizes: number[];
  /** How many of those calls asked for a gradient. */
  readonly gradientCalls: () => number;
}

export function countingClassifier(model: Classifier): CountingClassifier {
  const batchSizes: number[] = [];
  let gradients = 0;
  return {
    inputShape: model.inputShape,
    numClasses: model.numClasses,
    batchSizes,
    gradientCalls: () => gradients,
    logits(x: Float32Array, n: number): Promise<Float32Array> {
      batchSizes.push(n);
      return model.logits(x, n);
    },
    inputGradient(x: Float32Array, n: number, objective: InputObjective): Promise<InputGradient> {
      batchSizes.push(n);
      gradients++;
      return model.inputGradient(x, n, objective);
    },
  };
}

/** A checkpoint that throws `cancelled` on its `calls`-th call, as a cancelled run's does. */
export function cancelAfter(calls: number): () => void {
  let count = 0;
  return () => {
    count++;
    if (count >= calls) throw new Error('cancelled');
  };
}
