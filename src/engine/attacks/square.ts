/**
 * Square Attack (Andriushchenko, Croce, Flammarion and Hein, "Square Attack: a query-efficient
 * black-box adversarial attack via random search", ECCV 2020), the score-based member of
 * AutoAttack's standard ensemble (reference square.py; p_init=0.8, 5,000 queries, margin loss, one
 * restart). It only reads logits: from a random start on the eps-sphere (L2) or at its vertices
 * (Linf), it proposes one random square update per iteration and keeps it when the margin
 * z_y - max_{i != y} z_i decreases. Points stop being queried once they are misclassified.
 *
 * Unlike AutoAttack's batched code, which draws one window (and for Linf one sign per channel) for
 * the whole batch at each iteration, every image draws its own, as in the paper's algorithm, so an
 * image's search does not depend on which images share its batch.
 */
import type { Classifier, InputShape } from '../model/classifier';
import { imageSize } from '../model/classifier';
import { Random } from '../util/random';
import type { AttackBatch, AttackContext, AttackOutcome, ThreatModel } from './attack';
import { gatherRows, setIndices } from './batch-rows';
import { correct } from './geometry';
import { l2Init, l2Proposal } from './square-l2';
import { linfProposal, linfStripes } from './square-linf';
import { squareFraction } from './square-schedule';

export interface SquareOptions {
  /** Iterations after the initial query (5,000 in AutoAttack). */
  readonly nQueries?: number;
  /** Initial fraction of pixels a square covers. */
  readonly pInit?: number;
  /** Map the schedule's breakpoints onto nQueries (AutoAttack's standard version does not). */
  readonly rescaleSchedule?: boolean;
}

export const SQUARE_STANDARD: Required<SquareOptions> = { nQueries: 5000, pInit: 0.8, rescaleSchedule: false };

type Step = (
  x: Float32Array,
  best: Float32Array,
  shape: InputShape,
  eps: number,
  p: number,
  random: Random,
  out: Float32Array,
) => void;

/** z_y - max_{i != y} z_i per sample: positive while the sample is classified correctly. */
function margins(logits: Float32Array, labels: Int32Array, n: number, classes: number): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const y = labels[i] ?? 0;
    let other = -Infinity;
    for (let k = 0; k < classes; k++) if (k !== y) other = Math.max(other, logits[i * classes + k] ?? 0);
    out[i] = (logits[i * classes + y] ?? 0) - other;
  }
  return out;
}

function row(a: Float32Array, i: number, size: number): Float32Array {
  return a.subarray(i * size, (i + 1) * size);
}

export async function squareAttack(
  model: Classifier,
  batch: AttackBatch,
  threat: ThreatModel,
  context: AttackContext,
  options: SquareOptions = {},
): Promise<AttackOutcome> {
  const settings = { ...SQUARE_STANDARD, ...options };
  const { x, labels, n } = batch;
  const { eps } = threat;
  const shape = model.inputShape;
  const size = imageSize(shape);
  const classes = model.numClasses;
  const random = new Random(context.seed);
  const propose: Step = threat.norm === 'Linf' ? linfProposal : l2Proposal;

  const xAdv = Float32Array.from(x);
  context.checkpoint?.();
  const robust = correct(await model.logits(x, n), labels, n);
  const rows = setIndices(robust);
  const m = rows.length;
  if (m === 0) return { xAdv, robust };
  const x0 = gatherRows(x, rows, size);
  const y = gatherRows(labels, rows, 1);

  const best = new Float32Array(m * size);
  for (let j = 0; j < m; j++) {
    if (threat.norm === 'Linf') linfStripes(row(x0, j, size), shape, eps, random, row(best, j, size));
    else l2Init(row(x0, j, size), shape, eps, random, row(best, j, size));
  }
  context.checkpoint?.();
  const bestMargin = margins(await model.logits(best, m), y, m, classes);

  for (let iter = 0; iter < settings.nQueries; iter++) {
    const active = Int32Array.from(Array.from(bestMargin.keys()).filter((j) => (bestMargin[j] ?? 0) > 0));
    if (active.length === 0) break;
    context.checkpoint?.();
    const p = squareFraction(iter, settings.pInit, settings.nQueries, settings.rescaleSchedule);
    const candidates = new Float32Array(active.length * size);
    active.forEach((j, a) =>
      propose(row(x0, j, size), row(best, j, size), shape, eps, p, random, row(candidates, a, size)),
    );
    const margin = margins(
      await model.logits(candidates, active.length),
      gatherRows(y, active, 1),
      active.length,
      classes,
    );
    active.forEach((j, a) => {
      const value = margin[a] ?? 0;
      // With the margin loss the reference's two tests (the loss improved, or the candidate is
      // misclassified) are one: an active point's best margin is positive.
      if (value < (bestMargin[j] ?? 0)) {
        bestMargin[j] = value;
        best.set(row(candidates, a, size), j * size);
      }
    });
  }

  // The verdict comes from the model's decision on the returned points, as the reference's.
  context.checkpoint?.();
  const stillCorrect = correct(await model.logits(best, m), y, m);
  rows.forEach((r, j) => {
    if (stillCorrect[j]) return;
    robust[r] = 0;
    xAdv.set(row(best, j, size), r * size);
  });
  return { xAdv, robust };
}
