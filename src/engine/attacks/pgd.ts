import type { Classifier } from '../model/classifier';
import { Random } from '../util/random';
import type { AttackBatch, AttackContext, AttackOutcome, ThreatModel } from './attack';
import { ascend, copySample, correct, project, randomStart } from './geometry';

export interface PgdOptions {
  readonly steps: number;
  /** Step size; default 2.5 * eps / steps (Madry et al., 2018). */
  readonly stepSize?: number;
  readonly randomStart: boolean;
  /** Independent runs; a sample counts as broken when any run breaks it. */
  readonly restarts: number;
  readonly loss: 'ce' | 'dlr';
}

export const PGD_DEFAULTS: PgdOptions = { steps: 10, randomStart: true, restarts: 1, loss: 'ce' };

/**
 * Projected gradient descent on the loss (Madry et al., "Towards Deep Learning Models Resistant
 * to Adversarial Attacks", ICLR 2018): steps of steepest ascent for the norm, each projected
 * back onto the eps-ball and the image box. Per sample it keeps the first point that breaks the
 * model, else the last iterate of the run with the highest final loss.
 */
export async function pgd(
  model: Classifier,
  batch: AttackBatch,
  threat: ThreatModel,
  context: AttackContext,
  options: PgdOptions = PGD_DEFAULTS,
): Promise<AttackOutcome> {
  const { x, labels, n } = batch;
  const d = x.length / n;
  const step = options.stepSize ?? (2.5 * threat.eps) / Math.max(1, options.steps);
  const random = new Random(context.seed);
  const best = Float32Array.from(x);
  const bestLoss = new Float32Array(n).fill(-Infinity);
  const robust = new Uint8Array(n).fill(1);
  const objective = { kind: options.loss, labels } as const;

  for (let run = 0; run < Math.max(1, options.restarts); run++) {
    let xAdv = options.randomStart ? randomStart(x, n, threat, random) : Float32Array.from(x);
    for (let s = 0; s < options.steps; s++) {
      context.checkpoint?.();
      const g = await model.inputGradient(xAdv, n, objective);
      record(g.logits, g.loss, xAdv);
      xAdv = project(ascend(xAdv, g.grad, n, threat.norm, step), x, n, threat);
    }
    context.checkpoint?.();
    const last = await model.inputGradient(xAdv, n, objective);
    record(last.logits, last.loss, xAdv);
  }
  return { xAdv: best, robust };

  function record(logits: Float32Array, loss: Float32Array, at: Float32Array): void {
    const ok = correct(logits, labels, n);
    for (let i = 0; i < n; i++) {
      if (!robust[i]) continue;
      if (!ok[i]) {
        robust[i] = 0;
        copySample(best, at, i, d);
      } else if ((loss[i] ?? -Infinity) > (bestLoss[i] ?? -Infinity)) {
        bestLoss[i] = loss[i] ?? -Infinity;
        copySample(best, at, i, d);
      }
    }
  }
}

/**
 * The fast gradient sign method (Goodfellow et al., 2015): one step of size eps along the sign
 * of the loss gradient (for L2, along the normalised gradient), from the clean image.
 */
export async function fgsm(
  model: Classifier,
  batch: AttackBatch,
  threat: ThreatModel,
  context: AttackContext,
): Promise<AttackOutcome> {
  const { x, labels, n } = batch;
  context.checkpoint?.();
  const g = await model.inputGradient(x, n, { kind: 'ce', labels });
  const xAdv = project(ascend(x, g.grad, n, threat.norm, threat.eps), x, n, threat);
  const robust = correct(await model.logits(xAdv, n), labels, n);
  // A sample the model already gets wrong stays broken at the clean image.
  const clean = correct(g.logits, labels, n);
  for (let i = 0; i < n; i++) {
    if (!clean[i]) {
      robust[i] = 0;
      copySample(xAdv, x, i, x.length / n);
    }
  }
  return { xAdv, robust };
}
