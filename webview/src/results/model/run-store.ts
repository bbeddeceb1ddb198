import type { EvalResult } from '../../../../src/engine/run/eval-result';
import type { RunMessage, RunSummary } from '../../../../src/engine/run/run-messages';
import type { EpochMetrics } from '../../../../src/engine/train/train-loop';
import type { RunRecord } from '../protocol';

export interface Progress {
  readonly phase: string;
  readonly done: number;
  readonly total: number;
  readonly etaSeconds?: number;
  readonly imagesPerSecond?: number;
}

/** What the page learnt from a run's live messages since the last `runs` message. */
interface LiveRun {
  dir?: string;
  backend?: string;
  device?: string;
  progress?: Progress;
  epochs: EpochMetrics[];
  result?: RunSummary;
  error?: string;
}

/** A run as the page shows it: the record from disk merged with what its live messages said. */
export interface ViewRun {
  readonly id: string;
  readonly dir: string;
  readonly kind: 'train' | 'eval';
  readonly config: unknown;
  readonly environment: unknown;
  readonly state: RunRecord['state'];
  readonly job?: RunRecord['job'];
  readonly status?: RunSummary['status'];
  readonly message?: string;
  readonly history: readonly EpochMetrics[];
  readonly evaluation?: EvalResult;
  readonly progress?: Progress;
  readonly error?: string;
  readonly live: boolean;
}

/** How much of the page a change touches: the progress line only, or the run's content. */
export type Change = 'progress' | 'content';

export class RunStore {
  private records: readonly RunRecord[] = [];
  private readonly live = new Map<string, LiveRun>();

  setRuns(runs: readonly RunRecord[]): void {
    this.records = runs;
    // A finished record on disk supersedes what was streamed; a running one keeps its progress.
    for (const run of runs) {
      if (run.result || run.state === 'finished' || run.state === 'interrupted') this.live.delete(run.id);
    }
  }

  applyLive(runId: string, message: RunMessage): Change {
    const live = this.live.get(runId) ?? { epochs: [] };
    this.live.set(runId, live);
    switch (message.type) {
      case 'started':
        live.dir = message.runDir;
        live.backend = message.backend;
        live.device = message.device;
        return 'content';
      case 'progress':
        live.progress = {
          phase: message.phase,
          done: message.done,
          total: message.total,
          ...(message.etaSeconds !== undefined ? { etaSeconds: message.etaSeconds } : {}),
          ...(message.imagesPerSecond !== undefined ? { imagesPerSecond: message.imagesPerSecond } : {}),
        };
        return 'progress';
      case 'metric':
        // A resumed run streams again from its next epoch; replace rather than duplicate.
        live.epochs = [...live.epochs.filter((e) => e.epoch !== message.epoch.epoch), message.epoch].sort(
          (a, b) => a.epoch - b.epoch,
        );
        return 'content';
      case 'checkpoint':
        return 'progress';
      case 'result':
        live.result = message.result;
        live.progress = undefined;
        return 'content';
      case 'error':
        live.error = message.message;
        live.progress = undefined;
        return 'content';
    }
  }

  /** Every run, newest first; runs known only from live messages come first. */
  list(): ViewRun[] {
    const known = new Set(this.records.map((r) => r.id));
    const placeholders = [...this.live.entries()]
      .filter(([id]) => !known.has(id))
      .map(([id, live]) => merge(placeholder(id, live), live));
    return [...placeholders.reverse(), ...this.records.map((r) => merge(r, this.live.get(r.id)))];
  }

  get(id: string): ViewRun | undefined {
    return this.list().find((r) => r.id === id);
  }
}

function placeholder(id: string, live: LiveRun): RunRecord {
  // Run ids are `<stamp>-<kind>-<random>` (newRunId); until the record arrives that is all we know.
  const kind = /-eval-/.test(id) ? 'eval' : 'train';
  const environment = live.backend !== undefined ? { backend: live.backend, device: live.device } : undefined;
  return { id, dir: live.dir ?? '', kind, config: undefined, environment, state: 'running' };
}

function merge(record: RunRecord, live: LiveRun | undefined): ViewRun {
  const result = live?.result ?? record.result;
  const state: RunRecord['state'] = live?.result
    ? 'finished'
    : live?.error
      ? 'interrupted'
      : live
        ? 'running'
        : record.state;
  return {
    id: record.id,
    dir: record.dir,
    kind: record.kind,
    config: record.config,
    environment: record.environment,
    state,
    ...(record.job ? { job: record.job } : {}),
    ...(result ? { status: result.status } : {}),
    ...(result?.message !== undefined ? { message: result.message } : {}),
    history: result?.history ?? live?.epochs ?? [],
    ...(result?.evaluation ? { evaluation: result.evaluation } : {}),
    ...(live?.progress ? { progress: live.progress } : {}),
    ...(live?.error !== undefined ? { error: live.error } : {}),
    live: live !== undefined && !live.result && live.error === undefined,
  };
}
