import type { RunJob, RunRecord, ToResultsPanel } from '../protocol';
import { arrayOf, INVALID, isFields, isRunId, LIMITS, onlyKeys, plainJson, str } from './guards';
import { parseRunSummary } from './parse-run';
import { parseRunMessage } from './parse-run-message';

const STATES = ['running', 'queued', 'finished', 'interrupted'] as const;

/** config.json and environment.json are free-form: absent (undefined or null) or a plain JSON object. */
function parseFile(value: unknown): { ok: true; value: unknown } | { ok: false } {
  if (value === undefined || value === null) return { ok: true, value: undefined };
  if (!isFields(value)) return { ok: false };
  const copy = plainJson(value);
  return copy === INVALID ? { ok: false } : { ok: true, value: copy };
}

const JOB_PHASES = ['PENDING', 'RUNNING', 'COMPLETED', 'CANCELLED', 'FAILED', 'UNKNOWN'];

/** A run's Slurm job: absent, or an id of digits with one of the phases the extension maps to. */
function parseJob(value: unknown): { ok: true; value?: RunJob } | { ok: false } {
  if (value === undefined || value === null) return { ok: true };
  if (!isFields(value) || !onlyKeys(value, ['scheduler', 'id', 'phase', 'detail'])) return { ok: false };
  if (value.scheduler !== 'slurm') return { ok: false };
  const id = str(value.id, 32);
  const phase = JOB_PHASES.find((p) => p === value.phase);
  const detail = value.detail === undefined ? undefined : str(value.detail, 200);
  if (!id || !/^\d+(_\d+)?$/.test(id) || !phase) return { ok: false };
  if (value.detail !== undefined && detail === undefined) return { ok: false };
  return { ok: true, value: { scheduler: 'slurm', id, phase, ...(detail !== undefined ? { detail } : {}) } };
}

export function parseRunRecord(value: unknown): RunRecord | undefined {
  if (!isFields(value)) return undefined;
  const dir = str(value.dir, LIMITS.path);
  const kind = value.kind === 'train' || value.kind === 'eval' ? value.kind : undefined;
  const state = STATES.find((s) => s === value.state);
  const config = parseFile(value.config);
  const environment = parseFile(value.environment);
  const result = value.result === undefined || value.result === null ? undefined : parseRunSummary(value.result);
  const job = parseJob(value.job);
  if (
    !isRunId(value.id) ||
    dir === undefined ||
    !kind ||
    !state ||
    !config.ok ||
    !environment.ok ||
    !job.ok ||
    (value.result !== undefined && value.result !== null && !result)
  )
    return undefined;
  return {
    id: value.id,
    dir,
    kind,
    config: config.value,
    environment: environment.value,
    state,
    ...(result ? { result } : {}),
    ...(job.ok && job.value ? { job: job.value } : {}),
  };
}

/**
 * What the page accepts from the extension. Envelopes are closed shapes (an unknown key rejects
 * the message); one malformed run rejects the whole `runs` message, so the page never shows a
 * partial history as if it were complete.
 */
export function parseToResultsPanel(value: unknown): ToResultsPanel | undefined {
  if (!isFields(value)) return undefined;
  switch (value.type) {
    case 'runs': {
      const runs = onlyKeys(value, ['type', 'runs']) ? arrayOf(value.runs, LIMITS.runs, parseRunRecord) : undefined;
      return runs ? { type: 'runs', runs } : undefined;
    }
    case 'live': {
      const message = onlyKeys(value, ['type', 'runId', 'message']) ? parseRunMessage(value.message) : undefined;
      return message && isRunId(value.runId) ? { type: 'live', runId: value.runId, message } : undefined;
    }
    case 'select': {
      const runIds = onlyKeys(value, ['type', 'runIds'])
        ? arrayOf(value.runIds, LIMITS.runIds, (id) => (isRunId(id) ? id : undefined))
        : undefined;
      return runIds ? { type: 'select', runIds } : undefined;
    }
    default:
      return undefined;
  }
}
