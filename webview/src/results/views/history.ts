import '@vscode-elements/elements/dist/vscode-checkbox/index.js';
import { keyFigures } from '../model/figures';
import { epsilon, percent } from '../model/format';
import { modelFacts, startedAt, threatOf } from '../model/run-facts';
import type { ViewRun } from '../model/run-store';
import { el, section, table, type CellValue } from '../page/dom';

export interface HistoryActions {
  /** Show this run alone. */
  open(runId: string): void;
  /** Add it to or remove it from the comparison. */
  toggle(runId: string, selected: boolean): void;
}

export function stateText(run: ViewRun): string {
  // A Slurm job says where it is in the cluster's queue, which the run's own state cannot.
  if (run.job) return `Slurm ${run.job.id}: ${run.job.phase}${run.job.detail ? ` (${run.job.detail})` : ''}`;
  if (run.status && run.status !== 'completed') return `${run.state}: ${run.status}`;
  return run.state;
}

/** Every run, newest first, with its key figures; tick two or more to compare them. */
export function historyView(
  runs: readonly ViewRun[],
  selected: ReadonlySet<string>,
  actions: HistoryActions,
): HTMLElement {
  if (runs.length === 0) {
    return section('Runs', 'history', [
      el('p', {
        className: 'muted',
        text:
          'No runs yet. Train or evaluate a model (a code lens above each model, or the ' +
          'Robustness Lens commands); its results appear here.',
      }),
    ]);
  }
  const rows = runs.map((run): CellValue[] => {
    const figures = keyFigures(run);
    const box = el('vscode-checkbox', { attrs: { 'aria-label': `Compare run ${run.id}`, 'data-run': run.id } });
    box.checked = selected.has(run.id);
    box.addEventListener('change', () => actions.toggle(run.id, box.checked));
    const open = el('button', {
      text: run.id,
      className: 'link',
      attrs: { type: 'button', 'data-open': run.id, 'aria-label': `Show run ${run.id}` },
    });
    open.addEventListener('click', () => actions.open(run.id));
    const figuresText =
      figures.clean === undefined
        ? run.progress
          ? `${Math.round((100 * run.progress.done) / Math.max(run.progress.total, 1))}% done`
          : ''
        : `clean ${percent(figures.clean)} \u00b7 ${figures.robustLabel} ${percent(figures.robust)}`;
    return [
      box,
      open,
      run.kind,
      { text: stateText(run), className: `state-${run.status ?? run.state}` },
      modelFacts(run).name ?? '',
      epsilon(threatOf(run)?.eps),
      figuresText,
      (startedAt(run) ?? '').replace('T', ' ').replace(/\.\d+Z$/, 'Z'),
    ];
  });
  const t = table(
    'Every run in this workspace, newest first',
    [
      { label: 'Compare' },
      { label: 'Run' },
      { label: 'Kind' },
      { label: 'State' },
      { label: 'Model' },
      { label: '\u03b5' },
      { label: 'Key figures' },
      { label: 'Started' },
    ],
    rows,
    'data history',
  );
  Array.from(t.tBodies[0]?.rows ?? []).forEach((tr, i) => {
    const id = runs[i]?.id;
    if (id === undefined) return;
    tr.dataset.run = id;
    if (selected.has(id)) tr.classList.add('selected');
  });
  const hint = el('p', {
    className: 'muted',
    text: 'Tick two or more runs to compare them; the oldest ticked run is the baseline.',
  });
  return section('Runs', 'history', [hint, el('div', { className: 'table-wrap' }, [t])]);
}
