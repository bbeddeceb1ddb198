import type { Comparison, EpsCurve } from '../model/figures';
import { overfittingEpoch } from '../model/figures';
import { epsilon } from '../model/format';
import type { ViewRun } from '../model/run-store';
import type { ChartSpec } from './chart-spec';

// The charts the panel draws, as specs built from run data (no drawing here).

export function lossChart(run: ViewRun): ChartSpec {
  return {
    id: 'loss',
    title: 'Training loss',
    kind: 'line',
    xLabel: 'Epoch',
    yLabel: 'Loss',
    percent: false,
    integerX: true,
    summary:
      `Line chart of the training loss over ${run.history.length} epochs; the data table ` + `below lists every value.`,
    x: run.history.map((h) => h.epoch),
    series: [{ label: 'Train loss', values: run.history.map((h) => h.trainLoss) }],
  };
}

export function accuracyChart(run: ViewRun): ChartSpec {
  const co = overfittingEpoch(run.history, run.status);
  return {
    id: 'accuracy',
    title: 'Accuracy per epoch',
    kind: 'line',
    xLabel: 'Epoch',
    yLabel: 'Accuracy',
    percent: true,
    integerX: true,
    summary:
      `Line chart of clean, FGSM and PGD-20 accuracy over ${run.history.length} ` +
      `epochs${co !== undefined ? `, with catastrophic overfitting marked at epoch ${co}` : ''}.`,
    x: run.history.map((h) => h.epoch),
    series: [
      { label: 'Clean', values: run.history.map((h) => h.cleanAccuracy) },
      { label: 'FGSM', values: run.history.map((h) => h.fgsmAccuracy) },
      { label: 'PGD-20', values: run.history.map((h) => h.pgdAccuracy) },
      { label: 'Train (adversarial)', values: run.history.map((h) => h.trainAccuracy) },
    ],
    ...(co !== undefined ? { marker: { x: co, label: 'catastrophic overfitting' } } : {}),
  };
}

/** An evaluation's accuracy clean and after each attack in sequence (the AutoAttack breakdown). */
export function attacksChart(run: ViewRun): ChartSpec | undefined {
  const e = run.evaluation;
  if (!e) return undefined;
  const categories = ['clean', ...e.attacks.map((a) => a.name)];
  return {
    id: 'attacks',
    title: 'Accuracy after each attack',
    kind: 'bars',
    xLabel: 'Step',
    yLabel: 'Accuracy',
    percent: true,
    summary:
      `Bar chart of clean accuracy and the accuracy left after each of ${e.attacks.length} ` +
      `attacks run in sequence on ${e.samples} images.`,
    x: categories.map((_, i) => i),
    categories,
    series: [{ label: 'Accuracy', values: [e.cleanAccuracy, ...e.attacks.map((a) => a.robustAccuracy)] }],
  };
}

export function epsChart(curve: EpsCurve): ChartSpec {
  return {
    id: 'epsilon',
    title: 'Robust accuracy against epsilon',
    kind: 'line',
    xLabel: 'Epsilon',
    yLabel: 'Accuracy',
    percent: true,
    summary:
      `Line chart of accuracy at ${curve.eps.length} epsilon values from ` +
      `${curve.runIds.length} evaluations of the same weights.`,
    x: curve.eps,
    series: curve.series,
    formatX: epsilon,
  };
}

/** The selected evaluations' accuracy after each attack, one line per run. */
export function compareAttacksChart(comparison: Comparison): ChartSpec | undefined {
  const evals = comparison.rows.filter((r) => r.run.evaluation);
  if (evals.length < 2 || comparison.attacks.length === 0) return undefined;
  const categories = ['clean', ...comparison.attacks.map((a) => a.name)];
  return {
    id: 'compare-attacks',
    title: 'Accuracy after each attack, per run',
    kind: 'line',
    xLabel: 'Step',
    yLabel: 'Accuracy',
    percent: true,
    summary: `Line chart comparing ${evals.length} evaluations: clean accuracy and the accuracy after each attack.`,
    x: categories.map((_, i) => i),
    categories,
    series: evals.map((r) => ({
      label: r.run.id,
      values: [
        r.run.evaluation?.cleanAccuracy ?? null,
        ...comparison.attacks.map(
          (a) => r.run.evaluation?.attacks.find((x) => x.name === a.name)?.robustAccuracy ?? null,
        ),
      ],
    })),
  };
}

/** PGD-20 accuracy per epoch of the selected training runs, one line per run. */
export function compareCurvesChart(comparison: Comparison): ChartSpec | undefined {
  const trains = comparison.rows.filter((r) => r.run.history.length > 0);
  if (trains.length < 2) return undefined;
  const epochs = [...new Set(trains.flatMap((r) => r.run.history.map((h) => h.epoch)))].sort((a, b) => a - b);
  return {
    id: 'compare-pgd',
    title: 'PGD-20 accuracy per epoch, per run',
    kind: 'line',
    xLabel: 'Epoch',
    yLabel: 'PGD-20 accuracy',
    percent: true,
    integerX: true,
    summary: `Line chart comparing the PGD-20 accuracy per epoch of ${trains.length} training runs.`,
    x: epochs,
    series: trains.map((r) => ({
      label: r.run.id,
      values: epochs.map((e) => r.run.history.find((h) => h.epoch === e)?.pgdAccuracy ?? null),
    })),
  };
}
