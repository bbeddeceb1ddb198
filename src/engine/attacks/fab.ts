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
  /**
   * With one restart, targets share a model batch while it holds at most this many rows (or one
   * target's rows, when more): batching targets saves calls, this bounds the memory it costs.
   */
  readonly groupRows?: number;
}

/** AutoAttack's standard FAB-T settings. */
export const FAB_STANDARD: Required<FabOptions> = {
  nTargetClasses: 9,
  nRestarts: 1,
  groupRows: 256,
  nIter: 100,
  alphaMax: 0.1,
  eta: 1.05,
  beta: 0.9,
};

export async function fabTargeted(
  model: Classifier,
  batch: AttackBatch,
  threat: ThreatModel,
  context: AttackContext,
  options: FabOptions = {},
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

  // With one restart (AutoAttack standard's) no run has a random start, and a FAB run without one
  // treats every row on its own, so the runs toward several targets can share one batch: the same
  // per-row results in fewer calls. A row counts as broken by the first target, in rank order, that
  // breaks it, as in the sequential loop below. The targets are taken in groups of at most
  // max(rows, groupRows) rows, so a group is never much larger than the attack's own batch: all
  // nine at once held nine copies of every activation and gradient in ONNX Runtime.
  if (settings.nRestarts === 1) {
    const found = (row: number, adv: Float32Array): void => {
      if (!robust[row]) return;
      robust[row] = 0;
      xAdv.set(adv, row * size);
    };
    for (let first = 0; first < targetCount;) {
      const rows = setIndices(robust);
      if (rows.length === 0) break;
      const group = Math.min(Math.max(1, Math.floor(settings.groupRows / rows.length)), targetCount - first);
      await fabTargetGroup(
        model,
        { x, labels, rows, ranked, classes, size },
        { first, count: group },
        threat,
        context,
        settings,
        found,
      );
      first += group;
    }
    return { xAdv, robust };
  }

  for (let rank = 2; rank <= targetCount + 1; rank++) {
    for (let restart = 0; restart < settings.nRestarts; restart++) {
      const rows = setIndices(robust);
      if (rows.length === 0) return { xAdv, robust };
      const m = rows.length;
      const x0 = gatherRows(x, rows, size);
      const sub = {
        x0,
        labels: gatherRows(labels, rows, 1),
        targets: rows.map((row) => ranked[row * classes + rank - 1] ?? 0),
        m,
      };
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

interface FabRows {
  readonly x: Float32Array;
  readonly labels: Int32Array;
  /** The rows of the batch to attack. */
  readonly rows: Int32Array;
  readonly ranked: Int32Array;
  readonly classes: number;
  readonly size: number;
}

/**
 * The first-restart runs toward the ranked classes first+2..first+count+1 of every row, as one
 * batch of count x rows; `broken(row, adv)` is called target by target, in rank order, for every
 * row the run toward that target put inside eps and misclassified.
 */
async function fabTargetGroup(
  model: Classifier,
  batch: FabRows,
  targetRange: { readonly first: number; readonly count: number },
  threat: ThreatModel,
  context: AttackContext,
  settings: FabRunSettings,
  broken: (row: number, adv: Float32Array) => void,
): Promise<void> {
  const { x, labels, rows, ranked, classes, size } = batch;
  const m = rows.length;
  const total = m * targetRange.count;
  const x0 = new Float32Array(total * size);
  const subLabels = new Int32Array(total);
  const targets = new Int32Array(total);
  for (let t = 0; t < targetRange.count; t++) {
    for (let j = 0; j < m; j++) {
      const row = rows[j] ?? 0;
      const at = t * m + j;
      x0.set(x.subarray(row * size, (row + 1) * size), at * size);
      subLabels[at] = labels[row] ?? 0;
      targets[at] = ranked[row * classes + targetRange.first + t + 1] ?? 0;
    }
  }
  const run = await fabRun(model, { x0, labels: subLabels, targets, m: total }, threat, context, settings, undefined);
  context.checkpoint?.();
  const stillCorrect = correct(await model.logits(run.adv, total), subLabels, total);
  for (let at = 0; at < total; at++) {
    if (stillCorrect[at]) continue;
    if (distance(threat.norm, run.adv, at * size, x0, at * size, size) > threat.eps) continue;
    broken(rows[at % m] ?? 0, run.adv.subarray(at * size, (at + 1) * size));
  }
}
