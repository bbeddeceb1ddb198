import { accuracyChart, attacksChart, epsChart, lossChart } from '../charts/run-charts';
import { epsCurve, keyFigures, overfittingEpoch } from '../model/figures';
import { duration, epsilon, fixed, percent, points } from '../model/format';
import { attackSetLabel, attacksOf, methodOf, plannedEpochs, threatOf } from '../model/run-facts';
import type { ViewRun } from '../model/run-store';
import type { ExportFormat } from '../protocol';
import { el, section, table, type CellValue } from '../page/dom';
import type { ChartHost } from './chart-host';
import { exportToolbar } from './exports';
import { stateText } from './history';
import { factSections } from './model-facts';
import { progressView } from './progress';
import { warningNotes } from './warnings';
import { cancelledTrainingText } from '../../../../src/engine/run/cancelled-text';

export interface DetailActions {
  cancel(runId: string): void;
  openFolder(runId: string): void;
  exportText(format: Exclude<ExportFormat, 'png'>): void;
}

function evaluationSection(run: ViewRun, all: readonly ViewRun[], charts: ChartHost): HTMLElement | undefined {
  const e = run.evaluation;
  if (!e) return undefined;
  const threat = threatOf(run);
  const label = attackSetLabel(attacksOf(run));
  const summary = el('p', {
    className: 'summary',
    text:
      `Clean ${percent(e.cleanAccuracy)} \u00b7 robust ${percent(e.robustAccuracy)} against ` +
      `${label} at ${threat?.norm ?? ''} \u03b5 = ${epsilon(threat?.eps)} on ${e.samples} ` +
      `images, in ${duration(e.seconds)}.`,
  });
  let previous = e.cleanAccuracy;
  const rows: CellValue[][] = [['Clean', { text: percent(e.cleanAccuracy), value: e.cleanAccuracy }, '', '']];
  for (const a of e.attacks) {
    rows.push([
      `after ${a.name}`,
      { text: percent(a.robustAccuracy), value: a.robustAccuracy },
      { text: points(a.robustAccuracy - previous), value: a.robustAccuracy - previous },
      fixed(a.seconds, 1),
    ]);
    previous = a.robustAccuracy;
  }
  const breakdown = table(
    `${label} breakdown: accuracy on the images every attack so far left correct`,
    [
      { label: 'Step' },
      { label: 'Accuracy', numeric: true },
      { label: 'Change', numeric: true },
      { label: 'Seconds', numeric: true },
    ],
    rows,
    'data attacks',
  );
  const children: HTMLElement[] = [...warningNotes(e.warnings ?? []), summary, breakdown];
  const chart = attacksChart(run);
  if (chart) children.push(charts.figure(chart));
  const curve = epsCurve(run, all);
  if (curve) {
    children.push(charts.figure(epsChart(curve)));
    if (curve.eps.length < 2)
      children.push(
        el('p', { className: 'muted', text: 'Evaluate the same weights at other epsilons to draw the curve.' }),
      );
  }
  return section('Clean vs robust accuracy', 'evaluation', children);
}

function trainingSection(run: ViewRun, all: readonly ViewRun[], charts: ChartHost): HTMLElement | undefined {
  if (run.kind !== 'train') return undefined;
  const planned = plannedEpochs(run);
  const children: HTMLElement[] = [];
  const figures = keyFigures(run);
  const threat = threatOf(run);
  children.push(
    el('p', {
      className: 'summary',
      text:
        `${methodOf(run) ?? 'training'} at ${threat?.norm ?? ''} \u03b5 = ` +
        `${epsilon(threat?.eps)}: ` +
        `${run.history.length}${planned !== undefined ? ` of ${planned}` : ''} epochs` +
        (figures.clean !== undefined
          ? `; last epoch clean ${percent(figures.clean)}, PGD-20 ${percent(figures.robust)}.`
          : '.'),
    }),
  );
  const co = overfittingEpoch(run.history, run.status);
  if (co !== undefined) {
    children.push(
      el('p', {
        className: 'alert',
        attrs: { role: 'note', 'data-overfitting': String(co) },
        text:
          `Catastrophic overfitting at epoch ${co}: the model stopped resisting multi-step ` +
          `attacks while single-step (FGSM) accuracy held up, so the FGSM-PGD gap opened. ` +
          `Use PGD training, a smaller FGSM step, or the checkpoint before epoch ${co}.`,
      }),
    );
  }
  if (run.history.length === 0) {
    children.push(el('p', { className: 'muted', text: 'No epoch has finished yet.' }));
    return section('Training curves', 'training', children);
  }
  children.push(charts.figure(accuracyChart(run)), charts.figure(lossChart(run)));
  children.push(
    table(
      'Per-epoch figures',
      [
        { label: 'Epoch', numeric: true },
        { label: 'Loss', numeric: true },
        { label: 'Clean', numeric: true },
        { label: 'FGSM', numeric: true },
        { label: 'PGD-20', numeric: true },
        { label: 'FGSM \u2212 PGD', numeric: true },
        { label: 'LR', numeric: true },
        { label: 'Time', numeric: true },
      ],
      run.history.map((h) => [
        { text: String(h.epoch), value: h.epoch, ...(h.epoch === co ? { className: 'alert' } : {}) },
        { text: fixed(h.trainLoss, 4), value: h.trainLoss },
        { text: percent(h.cleanAccuracy), value: h.cleanAccuracy },
        { text: percent(h.fgsmAccuracy), value: h.fgsmAccuracy },
        { text: percent(h.pgdAccuracy), value: h.pgdAccuracy },
        points(h.fgsmAccuracy - h.pgdAccuracy),
        Number(h.learningRate.toPrecision(3)).toString(),
        duration(h.seconds),
      ]),
      'data epochs',
    ),
  );
  const curve = epsCurve(run, all);
  if (curve) children.push(charts.figure(epsChart(curve)));
  return section('Training curves', 'training', children);
}

/** One run: its results, live progress, model, environment and configuration. */
export function detailsView(
  run: ViewRun,
  all: readonly ViewRun[],
  charts: ChartHost,
  actions: DetailActions,
): HTMLElement {
  const open = el('vscode-button', { text: 'Open folder', attrs: { secondary: '', 'data-action': 'open-folder' } });
  open.addEventListener('click', () => actions.openFolder(run.id));
  const header = el('header', { className: 'run-header' }, [
    el('h2', { text: `${run.kind === 'train' ? 'Training' : 'Evaluation'} ${run.id}`, attrs: { id: 'details-title' } }),
    el('span', { className: `badge state-${run.status ?? run.state}`, text: stateText(run) }),
    open,
  ]);
  const children: HTMLElement[] = [header];
  if (run.state === 'running' || run.state === 'queued') children.push(progressView(run, () => actions.cancel(run.id)));
  if (run.error !== undefined)
    children.push(el('p', { className: 'alert', attrs: { role: 'alert' }, text: `The run failed: ${run.error}` }));
  // A cancelled training says what it kept in the editor's words (the engine's message is the CLI's).
  const cancelledTraining = run.kind === 'train' && run.status === 'cancelled';
  const note = cancelledTraining ? cancelledTrainingText(run.history.at(-1)?.epoch) : run.message;
  if (note !== undefined) children.push(el('p', { className: 'note', text: note }));
  children.push(
    exportToolbar(
      run.kind === 'train' ? 'the per-epoch curves as CSV' : 'the per-attack table as CSV',
      actions.exportText,
    ),
  );
  const evaluation = evaluationSection(run, all, charts);
  const training = trainingSection(run, all, charts);
  if (evaluation) children.push(evaluation);
  if (training) children.push(training);
  if (!evaluation && run.kind === 'eval')
    children.push(
      el('p', {
        className: 'muted',
        text:
          run.state === 'running'
            ? 'The evaluation is running; its results appear when it finishes.'
            : 'This evaluation has no result.',
      }),
    );
  children.push(...factSections(run));
  return el(
    'article',
    { className: 'details', attrs: { 'aria-labelledby': 'details-title', 'data-run': run.id } },
    children,
  );
}
