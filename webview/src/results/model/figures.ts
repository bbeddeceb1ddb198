import type { EpochMetrics } from '../../../../src/engine/train/train-loop';
import { catastrophicOverfitting } from '../../../../src/engine/train/overfitting';
import { attackSetLabel, attacksOf, threatOf, weightsKey } from './run-facts';
import type { ViewRun } from './run-store';

/** The headline accuracies of a run: an evaluation's own, or a training run's last epoch. */
export interface KeyFigures {
  readonly clean?: number;
  readonly robust?: number;
  /** What `robust` measures: the attack set, or PGD-20 on the training run's held-out images. */
  readonly robustLabel: string;
}

export function keyFigures(run: ViewRun): KeyFigures {
  if (run.evaluation) {
    return {
      clean: run.evaluation.cleanAccuracy,
      robust: run.evaluation.robustAccuracy,
      robustLabel: attackSetLabel(attacksOf(run)),
    };
  }
  const last = run.history[run.history.length - 1];
  return last
    ? { clean: last.cleanAccuracy, robust: last.pgdAccuracy, robustLabel: 'PGD-20' }
    : { robustLabel: run.kind === 'eval' ? attackSetLabel(attacksOf(run)) : 'PGD-20' };
}

/** A jump of the FGSM-PGD gap this large between two epochs marks overfitting even before PGD collapses. */
export const GAP_JUMP = 0.2;

/**
 * The first epoch showing catastrophic overfitting: the engine's own rule (PGD accuracy halves
 * while FGSM stays high) on each prefix of the history, or the FGSM-PGD gap widening by GAP_JUMP
 * in one epoch to over 0.3; the last epoch when the engine stopped the run for it.
 */
export function overfittingEpoch(history: readonly EpochMetrics[], status?: string): number | undefined {
  for (let i = 1; i < history.length; i++) {
    const prefix = history.slice(0, i + 1);
    const now = history[i];
    const before = history[i - 1];
    if (!now || !before) continue;
    const gap = now.fgsmAccuracy - now.pgdAccuracy;
    const jump = gap - (before.fgsmAccuracy - before.pgdAccuracy);
    if (
      catastrophicOverfitting(prefix.map((h) => ({ fgsm: h.fgsmAccuracy, pgd: h.pgdAccuracy }))) ||
      (jump >= GAP_JUMP && gap > 0.3)
    )
      return now.epoch;
  }
  if (status === 'catastrophic-overfitting') return history[history.length - 1]?.epoch;
  return undefined;
}

export interface EpsCurve {
  readonly eps: readonly number[];
  /** One series per attack set, plus clean accuracy; null where no run measured that epsilon. */
  readonly series: ReadonlyArray<{ readonly label: string; readonly values: ReadonlyArray<number | null> }>;
  readonly runIds: readonly string[];
}

/**
 * Robust accuracy against epsilon from every finished evaluation of the same weights under the
 * same norm as `of` (newest run wins where two measured the same epsilon and attack set).
 */
export function epsCurve(of: ViewRun, runs: readonly ViewRun[]): EpsCurve | undefined {
  const key = weightsKey(of);
  const norm = threatOf(of)?.norm;
  if (key === undefined) return undefined;
  const evals = runs.filter(
    (r) =>
      r.evaluation &&
      r.kind === 'eval' &&
      weightsKey(r) === key &&
      (norm === undefined || r.evaluation.threat.norm === norm),
  );
  if (evals.length === 0) return undefined;
  const eps = [...new Set(evals.map((r) => r.evaluation?.threat.eps ?? 0))].sort((a, b) => a - b);
  const bySet = new Map<string, Map<number, number>>();
  const clean = new Map<number, number>();
  // Runs are newest first: the first value seen for a point is kept.
  for (const r of evals) {
    const e = r.evaluation;
    if (!e) continue;
    const label = attackSetLabel(attacksOf(r));
    const points = bySet.get(label) ?? new Map<number, number>();
    bySet.set(label, points);
    if (!points.has(e.threat.eps)) points.set(e.threat.eps, e.robustAccuracy);
    if (!clean.has(e.threat.eps)) clean.set(e.threat.eps, e.cleanAccuracy);
  }
  const series = [
    { label: 'Clean', values: eps.map((x) => clean.get(x) ?? null) },
    ...[...bySet.entries()].map(([label, points]) => ({ label, values: eps.map((x) => points.get(x) ?? null) })),
  ];
  return { eps, series, runIds: evals.map((r) => r.id) };
}

export interface ComparedRun {
  readonly run: ViewRun;
  readonly figures: KeyFigures;
  readonly params?: number;
  readonly eps?: number;
  /** Differences from the baseline; undefined where either side lacks the figure. */
  readonly deltaClean?: number;
  readonly deltaRobust?: number;
  readonly deltaParams?: number;
}

export interface Comparison {
  readonly baseline: ViewRun;
  readonly rows: readonly ComparedRun[];
  /** Robust accuracy after each attack, per run (evaluations only), with deltas from the baseline. */
  readonly attacks: ReadonlyArray<{
    readonly name: string;
    readonly values: ReadonlyArray<number | undefined>;
    readonly deltas: ReadonlyArray<number | undefined>;
  }>;
  readonly warnings: readonly string[];
}

function delta(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined || b === undefined ? undefined : a - b;
}

/**
 * Side by side, against the oldest selected run as baseline (the typical question is whether a
 * later change, a guideline fix, made the model more robust than before).
 */
export function compare(
  selected: readonly ViewRun[],
  params: (run: ViewRun) => number | undefined,
): Comparison | undefined {
  // `selected` follows the history's order, newest first.
  const baseline = selected[selected.length - 1];
  if (!baseline || selected.length < 2) return undefined;
  const base = keyFigures(baseline);
  const baseParams = params(baseline);
  const rows = selected.map((run): ComparedRun => {
    const figures = keyFigures(run);
    const p = params(run);
    const eps = threatOf(run)?.eps;
    const row: { -readonly [K in keyof ComparedRun]: ComparedRun[K] } = { run, figures };
    if (p !== undefined) row.params = p;
    if (eps !== undefined) row.eps = eps;
    const dc = delta(figures.clean, base.clean);
    const dr = delta(figures.robust, base.robust);
    const dp = delta(p, baseParams);
    if (dc !== undefined) row.deltaClean = dc;
    if (dr !== undefined) row.deltaRobust = dr;
    if (dp !== undefined) row.deltaParams = dp;
    return row;
  });
  const names = [...new Set(selected.flatMap((r) => r.evaluation?.attacks.map((a) => a.name) ?? []))];
  const attacks = names.map((name) => {
    const values = selected.map((r) => r.evaluation?.attacks.find((a) => a.name === name)?.robustAccuracy);
    const baseValue = values[values.length - 1];
    return { name, values, deltas: values.map((v) => delta(v, baseValue)) };
  });
  const warnings: string[] = [];
  const epsValues = new Set(rows.map((r) => r.eps));
  if (epsValues.size > 1)
    warnings.push('The runs use different epsilons: their robust accuracies answer different threat models.');
  const labels = new Set(rows.map((r) => r.figures.robustLabel));
  if (labels.size > 1)
    warnings.push(`Robust accuracy is measured differently across the runs (${[...labels].join(', ')}).`);
  return { baseline, rows, attacks, warnings };
}
