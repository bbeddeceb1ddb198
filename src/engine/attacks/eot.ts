import type { Classifier, InputGradient, InputObjective } from '../model/classifier';

/**
 * Expectation over Transformation (Athalye et al., "Obfuscated gradients give a false sense of
 * security", ICML 2018) for a randomised model: each input gradient is the mean over `samples`
 * forward/backward passes, as AutoAttack's "rand" version does inside APGD (eot_iter = 20). The loss
 * is averaged too; the logits are the last pass's, which is how the reference decides success.
 */
export function withEot(model: Classifier, samples: number): Classifier {
  return {
    inputShape: model.inputShape,
    numClasses: model.numClasses,
    logits: (x, n) => model.logits(x, n),
    async inputGradient(x: Float32Array, n: number, objective: InputObjective): Promise<InputGradient> {
      let last = await model.inputGradient(x, n, objective);
      const grad = Float32Array.from(last.grad);
      const loss = Float32Array.from(last.loss);
      for (let s = 1; s < samples; s++) {
        last = await model.inputGradient(x, n, objective);
        for (let j = 0; j < grad.length; j++) grad[j] = (grad[j] ?? 0) + (last.grad[j] ?? 0);
        for (let j = 0; j < loss.length; j++) loss[j] = (loss[j] ?? 0) + (last.loss[j] ?? 0);
      }
      for (let j = 0; j < grad.length; j++) grad[j] = (grad[j] ?? 0) / samples;
      for (let j = 0; j < loss.length; j++) loss[j] = (loss[j] ?? 0) / samples;
      return { loss, grad, logits: last.logits };
    },
  };
}
