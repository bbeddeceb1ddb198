import { cancelledTrainingText } from '../../engine/run/cancelled-text';
import type { RunEntry } from './run-queue';

const pct = (x: number): string => `${(100 * x).toFixed(1)}%`;

export function formatSeconds(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '';
  if (seconds < 60) return `${Math.ceil(seconds)} s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ${Math.round(seconds % 60)} s`;
  return `${Math.floor(seconds / 3600)} h ${Math.round((seconds % 3600) / 60)} min`;
}

/** Done share of a run in [0, 1], or undefined before its first progress message. */
export function fractionDone(entry: RunEntry): number | undefined {
  const p = entry.lastProgress;
  return p && p.total > 0 ? Math.min(1, p.done / p.total) : undefined;
}

/** One line about where a run is: what the notification, the status bar and a task terminal say. */
export function describeProgress(entry: RunEntry): string {
  if (entry.state === 'queued') return `queued (${entry.position} run${entry.position === 1 ? '' : 's'} ahead)`;
  if (entry.state === 'finished') return describeOutcome(entry);
  if (entry.cancelRequested) return 'cancelling after the current step...';
  const p = entry.lastProgress;
  if (!p) return entry.runId ? 'loading the data and the model...' : 'starting the engine...';
  const unit = entry.request.kind === 'eval' ? ' images' : ' steps';
  const eta = p.etaSeconds !== undefined && p.done < p.total ? ` · ${formatSeconds(p.etaSeconds)} left` : '';
  return `${p.phase}: ${p.done}/${p.total}${unit}${eta}`;
}

/** What a finished run found, in one line. */
export function describeOutcome(entry: RunEntry): string {
  if (entry.outcome === 'failed') return `failed: ${entry.error ?? 'unknown error'}`;
  const s = entry.summary;
  if (!s) return entry.outcome === 'cancelled' ? 'cancelled before it started' : (entry.outcome ?? 'finished');
  const last = s.history?.[s.history.length - 1];
  if (s.status === 'cancelled' && entry.request.kind === 'train') {
    const kept = cancelledTrainingText(last?.epoch);
    return last ? `${kept}: clean ${pct(last.cleanAccuracy)}, PGD ${pct(last.pgdAccuracy)}` : kept;
  }
  const status = s.status === 'completed' ? '' : `${s.status}${s.message ? ` (${s.message})` : ''}: `;
  const e = s.evaluation;
  if (e) {
    const attacks = e.attacks.map((a) => a.name).join(', ');
    const figures = `clean ${pct(e.cleanAccuracy)}, robust ${pct(e.robustAccuracy)} (${attacks})`;
    return `${status}${untrainedPrefix(e.warnings)}${figures} on ${e.samples} images${warningSuffix(e.warnings)}`;
  }
  if (last) return `${status}after epoch ${last.epoch}: clean ${pct(last.cleanAccuracy)}, PGD ${pct(last.pgdAccuracy)}`;
  return status ? status.replace(/: $/, '') : 'completed';
}

type Warnings = readonly { readonly code: string }[] | undefined;

/** An evaluation of untrained weights says so first: its figures describe no trained model. */
function untrainedPrefix(warnings: Warnings): string {
  return warnings?.some((w) => w.code === 'untrained-weights') ? 'UNTRAINED weights: ' : '';
}

/** The other over-reporting warnings, by code (the panel shows them in full). */
function warningSuffix(warnings: Warnings): string {
  const codes = (warnings ?? []).map((w) => w.code).filter((c) => c !== 'untrained-weights');
  return codes.length > 0 ? ` · may over-report: ${codes.join(', ')}` : '';
}
