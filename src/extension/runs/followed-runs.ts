import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { FileReadError, READ_LIMITS, readTextBounded } from '../../core/workspace/read-bounded';
import type { RunMessage, RunSummary } from '../../engine/run/run-messages';
import { EVENTS_FILE, RunFollower } from '../../engine/torch/follow-run';
import type { RunRecord } from '../../../webview/src/results/protocol';
import { isActivePhase, jobPhase, phaseDetail, type JobAnswer, type JobPhase, type JobView } from './job-state';
import { looksLikeRunSummary, runsFolder } from './run-folders';

// The file names the CLI's PyTorch launcher writes (src/engine/torch/slurm.ts, run-local.ts);
// repeated here so the extension host does not load the launcher to read two JSON files.
const SLURM_JOB_FILE = 'slurm-job.json';
const PROCESS_FILE = 'process.json';

/** What the followed runs need from the editor; plain functions, so the tests drive real folders. */
export interface FollowedRunsPorts {
  workspaces(): readonly string[];
  queryJob(jobId: string): Promise<JobAnswer>;
  /** Runs the editor's own queue streams through the engine worker: not followed twice. */
  owned(runId: string): boolean;
  onMessage(runId: string, message: RunMessage): void;
  /** A run's state changed (started, moved from PENDING to RUNNING, ended). */
  onChange(): void;
  log(line: string): void;
  /** Whether a process of this machine still runs (process.kill(pid, 0) by default). */
  isAlive?(pid: number): boolean;
  now?(): number;
}

interface Tracked {
  readonly id: string;
  readonly dir: string;
  readonly jobId?: string;
  readonly pid?: number;
  readonly follower: RunFollower;
  readonly since: number;
  phase?: JobPhase | 'UNKNOWN';
  slurmState?: string;
  lastError?: string;
  /** What a panel opened later needs to catch up: the last start, every epoch, the last progress. */
  started?: RunMessage;
  progress?: RunMessage;
  readonly epochs: Map<number, RunMessage>;
}

/** A job Slurm does not list yet, without a result, counts as starting for this long (sbatch to squeue). */
const START_GRACE_MS = 60_000;

type Json = Record<string, unknown>;

function readSmallJson(file: string): Json | undefined {
  try {
    const text = readTextBounded(file, { maxBytes: READ_LIMITS.run, root: path.dirname(file), what: 'run file' });
    const value = JSON.parse(text) as unknown;
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : undefined;
  } catch (error) {
    if (error instanceof FileReadError || error instanceof SyntaxError) return undefined;
    throw error;
  }
}

function readResult(dir: string): RunSummary | undefined {
  const value = readSmallJson(path.join(dir, 'result.json'));
  return looksLikeRunSummary(value) ? value : undefined;
}

/** The Slurm job of a run folder (slurm-job.json, written by `train --slurm`). */
export function readJobId(dir: string): string | undefined {
  const job = readSmallJson(path.join(dir, SLURM_JOB_FILE))?.jobId;
  return typeof job === 'string' && /^\d+(_\d+)?$/.test(job) ? job : undefined;
}

function defaultIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * The PyTorch runs that train outside the editor's queue and write to a run folder it can see: a
 * Slurm job on shared storage, or (after a window reload) a torchrun the previous window started.
 * Each is followed through its events.jsonl (progress, each epoch) and result.json, with the
 * job's state from Slurm, until it ends; `poll` does one round, the host calls it on a timer while
 * `active` is true.
 */
export class FollowedRuns {
  private readonly tracked = new Map<string, Tracked>();
  /** Jobs that ended while the editor watched: their last state, for the run list. */
  private readonly ended = new Map<string, JobView>();
  private polling = false;

  constructor(private readonly ports: FollowedRunsPorts) {}

  get active(): boolean {
    return this.tracked.size > 0;
  }

  /**
   * Finds runs still going: every run folder with a Slurm job and no result; with `includeLocal`
   * (once, at start-up, when the queue is empty) also trainers of this machine that still run.
   */
  scan(includeLocal = false): void {
    for (const workspace of this.ports.workspaces()) {
      let names: string[];
      try {
        names = fs
          .readdirSync(runsFolder(workspace), { withFileTypes: true })
          .filter((d) => d.isDirectory())
          .map((d) => d.name);
      } catch {
        continue;
      }
      for (const name of names) {
        const dir = path.join(runsFolder(workspace), name);
        if (this.tracked.has(name) || fs.existsSync(path.join(dir, 'result.json'))) continue;
        // An ended job stays ended, unless the run was resubmitted (a new job id).
        const ended = this.ended.get(name);
        if (ended && readJobId(dir) === ended.id) continue;
        const local = includeLocal && fs.existsSync(path.join(dir, PROCESS_FILE));
        if (local || fs.existsSync(path.join(dir, SLURM_JOB_FILE))) this.follow(dir, false);
      }
    }
  }

  /** Follows one run folder (a job just submitted from the editor, or one `scan` found). */
  follow(dir: string, announce = true): void {
    const id = path.basename(dir);
    if (this.tracked.has(id) || this.ports.owned(id)) return;
    const jobId = readJobId(dir);
    let pid: number | undefined;
    if (!jobId) {
      const owner = readSmallJson(path.join(dir, PROCESS_FILE));
      if (!owner || owner.host !== os.hostname() || typeof owner.pid !== 'number') return;
      pid = owner.pid;
    }
    const run: Tracked = {
      id,
      dir,
      ...(jobId ? { jobId } : {}),
      ...(pid !== undefined ? { pid } : {}),
      // From the start of the log: the panel of a reloaded window gets every epoch so far.
      follower: new RunFollower(dir, (m) => this.take(run, m)),
      since: this.now(),
      epochs: new Map(),
    };
    this.ended.delete(id);
    this.tracked.set(id, run);
    const what = jobId ? `Slurm job ${jobId}` : `process ${pid}`;
    this.ports.log(`runs: following ${id} (${what}) through ${path.join(dir, EVENTS_FILE)}`);
    if (announce) this.ports.onChange();
  }

  /** One round: new lines of every followed log, each job's state, the runs that ended. */
  async poll(): Promise<void> {
    if (this.polling) return;
    this.polling = true;
    try {
      let changed = false;
      for (const run of [...this.tracked.values()]) {
        run.follower.poll();
        const before = run.phase;
        const result = readResult(run.dir);
        if (run.jobId) await this.updateJob(run, result);
        else if (result) run.phase = jobPhase(undefined, result);
        else run.phase = (this.ports.isAlive ?? defaultIsAlive)(run.pid ?? -1) ? 'RUNNING' : 'FAILED';
        if (run.phase !== before) changed = true;
        if (run.phase !== undefined && run.phase !== 'UNKNOWN' && !isActivePhase(run.phase)) {
          this.end(run, result);
          changed = true;
        }
      }
      if (changed) this.ports.onChange();
    } finally {
      this.polling = false;
    }
  }

  /** The job's state for a run of the list: followed, ended under our eyes, or from its result. */
  jobOf(record: RunRecord): JobView | undefined {
    const run = this.tracked.get(record.id);
    if (run?.jobId) return this.view(run);
    const ended = this.ended.get(record.id);
    if (ended) return ended;
    const jobId = record.dir ? readJobId(record.dir) : undefined;
    if (!jobId) return undefined;
    const phase = jobPhase(undefined, record.result) ?? 'FAILED';
    return { scheduler: 'slurm', id: jobId, phase, ...(record.result ? {} : { detail: 'ended without a result' }) };
  }

  /** The run list's view: followed runs are queued (PENDING) or running, with their job. */
  decorate(record: RunRecord): RunRecord {
    const job = this.jobOf(record);
    const run = this.tracked.get(record.id);
    const state = run && !record.result ? (run.phase === 'PENDING' ? 'queued' : 'running') : record.state;
    return job || state !== record.state ? { ...record, state, ...(job ? { job } : {}) } : record;
  }

  /** The live messages so far of every followed run, for a panel that opens (or reloads) while they go. */
  catchUp(): { runId: string; message: RunMessage }[] {
    return [...this.tracked.values()].flatMap((run) =>
      [run.started, ...[...run.epochs.values()], run.progress]
        .filter((m): m is RunMessage => m !== undefined)
        .map((message) => ({ runId: run.id, message })),
    );
  }

  /** The folder of a followed run, for `cancel`. */
  dirOf(runId: string): string | undefined {
    return this.tracked.get(runId)?.dir;
  }

  private view(run: Tracked): JobView {
    const phase = run.phase ?? 'PENDING';
    const detail =
      phase === 'UNKNOWN' ? 'Slurm is not reachable from this machine' : phaseDetail(run.slurmState, phase);
    return { scheduler: 'slurm', id: run.jobId ?? '', phase, ...(detail ? { detail } : {}) };
  }

  private async updateJob(run: Tracked, result: RunSummary | undefined): Promise<void> {
    const answer = result ? 'unknown' : await this.ports.queryJob(run.jobId ?? '');
    if (answer === 'unreachable') {
      // The folder is still followed (shared storage): its result ends the run.
      run.phase = 'UNKNOWN';
      return;
    }
    run.slurmState = typeof answer === 'object' ? answer.state : run.slurmState;
    const phase = jobPhase(typeof answer === 'object' ? answer.state : undefined, result);
    // A job Slurm forgot without a result: failed, unless it was only just submitted.
    run.phase = phase ?? (this.now() - run.since < START_GRACE_MS ? 'PENDING' : 'FAILED');
    // The batch script ended, but the trainer's last lines may still be on their way to shared storage.
    if (!result && !isActivePhase(run.phase)) run.follower.poll();
  }

  private take(run: Tracked, message: RunMessage): void {
    // A resubmitted run's log holds earlier attempts: the result comes from result.json, an
    // error only counts for the attempt that is running.
    if (message.type === 'started') run.lastError = undefined;
    if (message.type === 'error') {
      run.lastError = message.message;
      return;
    }
    if (message.type === 'result') return;
    if (message.type === 'started') {
      run.started = message;
      run.epochs.clear();
    } else if (message.type === 'progress') {
      run.progress = message;
    } else if (message.type === 'metric') {
      run.epochs.set(message.epoch.epoch, message);
    }
    this.ports.onMessage(run.id, message);
  }

  private end(run: Tracked, result: RunSummary | undefined): void {
    this.tracked.delete(run.id);
    if (run.jobId) this.ended.set(run.id, this.view(run));
    if (result) {
      this.ports.onMessage(run.id, { type: 'result', result });
    } else {
      const who = run.jobId
        ? `Slurm job ${run.jobId} ended ${run.slurmState ?? run.phase ?? ''}`
        : `the trainer (process ${run.pid}) stopped`;
      const log = run.jobId ? `; see slurm-${run.jobId}.out in the run folder` : '';
      const why = run.lastError ? `: ${run.lastError}` : log;
      this.ports.onMessage(run.id, { type: 'error', message: `${who} without a result${why}` });
    }
    this.ports.log(`runs: ${run.id} ended ${run.phase ?? ''}`);
  }

  private now(): number {
    return this.ports.now?.() ?? Date.now();
  }
}
