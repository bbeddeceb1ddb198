import '@vscode-elements/elements/dist/vscode-progress-bar/index.js';
import { duration } from '../model/format';
import type { ViewRun } from '../model/run-store';
import { el } from '../page/dom';

function progressText(run: ViewRun): string {
  const p = run.progress;
  if (!p && run.job?.phase === 'PENDING') {
    return `Slurm job ${run.job.id} is PENDING: it waits for the cluster to start it.`;
  }
  if (!p) return run.state === 'queued' ? 'Queued: waits for the run before it.' : 'Starting...';
  const share = p.total > 0 ? Math.round((100 * p.done) / p.total) : 0;
  const parts = [`${p.phase}: ${share}%`, `ETA ${duration(p.etaSeconds)}`];
  if (p.imagesPerSecond !== undefined && Number.isFinite(p.imagesPerSecond))
    parts.push(`${Math.round(p.imagesPerSecond)} images/s`);
  return parts.join(' \u00b7 ');
}

/** The live progress of a running run, with a cancel button; updated in place as messages come. */
export function progressView(run: ViewRun, cancel: () => void): HTMLElement {
  const bar = el('vscode-progress-bar', { attrs: { 'aria-label': `Progress of run ${run.id}` } });
  const text = el('p', { className: 'progress-text', attrs: { 'aria-live': 'polite' } });
  const button = el('vscode-button', { text: 'Cancel run', attrs: { secondary: '', 'data-action': 'cancel' } });
  button.addEventListener('click', cancel);
  const box = el('div', { className: 'progress', attrs: { 'data-progress': run.id } }, [bar, text, button]);
  updateProgress(box, run);
  return box;
}

export function updateProgress(box: HTMLElement, run: ViewRun): void {
  const bar = box.querySelector('vscode-progress-bar');
  const text = box.querySelector('.progress-text');
  const p = run.progress;
  if (bar) {
    bar.indeterminate = !p || p.total === 0;
    bar.max = p && p.total > 0 ? p.total : 1;
    bar.value = p ? p.done : 0;
  }
  if (text) text.textContent = progressText(run);
  box.dataset.done = String(p?.done ?? 0);
  box.dataset.total = String(p?.total ?? 0);
}
