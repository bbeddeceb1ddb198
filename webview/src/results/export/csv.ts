import type { Comparison } from '../model/figures';
import type { ViewRun } from '../model/run-store';

// CSV for spreadsheets and scripts: raw fractions (not percentages) at full precision.

type Cell = string | number | undefined;

/**
 * RFC 4180 quoting, and text cells that a spreadsheet would read as a formula (=, +, -, @ first)
 * get a leading apostrophe: run ids and model names come from files anyone could have written.
 */
function cell(value: Cell): string {
  if (value === undefined) return '';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '';
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

function csv(header: readonly string[], rows: readonly (readonly Cell[])[]): string {
  return [header, ...rows].map((row) => row.map(cell).join(',')).join('\r\n') + '\r\n';
}

/** Per-epoch curves of a training run. */
export function curvesCsv(run: ViewRun): string {
  return csv(
    [
      'epoch',
      'train_loss',
      'train_accuracy',
      'clean_accuracy',
      'fgsm_accuracy',
      'pgd_accuracy',
      'learning_rate',
      'eps',
      'seconds',
    ],
    run.history.map((e) => [
      e.epoch,
      e.trainLoss,
      e.trainAccuracy,
      e.cleanAccuracy,
      e.fgsmAccuracy,
      e.pgdAccuracy,
      e.learningRate,
      e.eps,
      e.seconds,
    ]),
  );
}

/** An evaluation's accuracy after each attack in sequence, clean first. */
export function attacksCsv(run: ViewRun): string {
  const e = run.evaluation;
  if (!e) return csv(['step', 'attack', 'robust_accuracy', 'seconds'], []);
  return csv(
    ['step', 'attack', 'robust_accuracy', 'seconds'],
    [
      [0, 'clean', e.cleanAccuracy, undefined],
      ...e.attacks.map((a, i) => [i + 1, a.name, a.robustAccuracy, a.seconds]),
    ],
  );
}

export function comparisonCsv(comparison: Comparison): string {
  return csv(
    [
      'run_id',
      'kind',
      'baseline',
      'eps',
      'params',
      'clean_accuracy',
      'robust_accuracy',
      'robust_measure',
      'delta_clean',
      'delta_robust',
      'delta_params',
    ],
    comparison.rows.map((r) => [
      r.run.id,
      r.run.kind,
      r.run === comparison.baseline ? 'yes' : 'no',
      r.eps,
      r.params,
      r.figures.clean,
      r.figures.robust,
      r.figures.robustLabel,
      r.deltaClean,
      r.deltaRobust,
      r.deltaParams,
    ]),
  );
}
