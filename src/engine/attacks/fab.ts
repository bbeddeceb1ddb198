/**
 * FAB-T, the targeted Fast Adaptive Boundary attack (Croce and Hein, "Minimally distorted
 * adversarial examples with a fast adaptive boundary attack", ICML 2020), as AutoAttack's
 * "standard" version runs it (Croce and Hein, "Reliable evaluation of adversarial robustness with
 * an ensemble of diverse parameter-free attacks", ICML 2020; reference fab_base.py, perturb with
 * targeted=True): for each of the 9 classes with the highest clean logits after the true one, one
 * FAB run toward that class on the points still robust, keeping a result only if it is
 * misclassified and within eps. FAB minimises the perturbation rather than fixing it to eps, so a
 * point counts as broken only when the closest adversarial example it found lies inside the ball.
 */
import type { Classifier } from '../model/classifier';
import { imageSize } from '../model/classifier';
import { Random } from '../util/random';
import type { AttackBatch, AttackContext, AttackOutcome, ThreatModel } from './attack';
import { gatherRows, rankClasses, setIndices } from './batch-rows';
import { fabRun, type FabRunSettings } from './fab-run';
import { correct } from './geometry';
import { distance } from './lp-norms';

export interface FabOptions extends Partial<FabRunSettings> {
  /** How many target classes, by decreasing clean logit after the top one (9 in AutoAttack). */
  readonly nTargetClasses?: number;
  /** Runs per target; the first starts at the image, later ones at a random point (1 in AutoAttack). */
  readonly nRestarts?: number;
}

/** AutoAttack's standard FAB-T settings. */
export const FAB_STANDARD: Required<FabOptions> = {
  nTargetClasses: 9,
  nRestarts: 1,
  nIter: 100,
  alphaMax: 0.1,
  eta: 1.05,
  beta: 0.9,
};

export async function fabTargeted(
  model: Classifier, batch: AttackBatch, threat: ThreatModel, context: AttackContext, options: FabOptions = {},
): Promise<AttackOutcome> {
  const settings = { ...FAB_STANDARD, ...options };
  const { x, labels, n } = batch;
  const size = imageSize(model.inputShape);
  const classes = model.numClasses;
  const xAdv = Float32Array.from(x);
  context.checkpoint?.();
  const clean = await model.logits(x, n);
  const robust = correct(clean, labels, n);
  const ranked = rankClasses(clean, n, classes);
  // One generator for the whole attack, so a seed fixes every restart's start.
  const random = new Random(context.seed);
  const targetCount = Math.min(settings.nTargetClasses, classes - 1);

  for (let rank = 2; rank <= targetCount + 1; rank++) {
    for (let restart = 0; restart < settings.nRestarts; restart++) {
      const rows = setIndices(robust);
      if (rows.length === 0) return { xAdv, robust };
      const m = rows.length;
      const x0 = gatherRows(x, rows, size);
      const sub = { x0, labels: gatherRows(labels, rows, 1), targets: rows.map((row) => ranked[row * classes + rank - 1] ?? 0), m };
      const run = await fabRun(model, sub, threat, context, settings, restart > 0 ? random : undefined);
      context.checkpoint?.();
      const stillCorrect = correct(await model.logits(run.adv, m), sub.labels, m);
      for (let j = 0; j < m; j++) {
        const row = rows[j] ?? 0;
        if (stillCorrect[j]) continue;
        if (distance(threat.norm, run.adv, j * size, x0, j * size, size) > threat.eps) continue;
        robust[row] = 0;
        xAdv.set(run.adv.subarray(j * size, (j + 1) * size), row * size);
      }
    }
  }
  return { xAdv, robust };
}
