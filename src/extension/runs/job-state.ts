import { execFile } from 'node:child_process';
import type { RunSummary } from '../../engine/run/run-messages';

/** What the editor shows of a Slurm job: the five states a person acts on. */
export const JOB_PHASES = ['PENDING', 'RUNNING', 'COMPLETED', 'CANCELLED', 'FAILED'] as const;
export type JobPhase = (typeof JOB_PHASES)[number];

/** A job of a run folder (slurm-job.json) as the run list and the panel show it. */
export interface JobView {
  readonly scheduler: 'slurm';
  readonly id: string;
  readonly phase: JobPhase | 'UNKNOWN';
  /** Slurm's own word (TIMEOUT, OUT_OF_MEMORY, ...) when it says more than the phase. */
  readonly detail?: string;
}

// Slurm's job states (squeue(1), "JOB STATE CODES"), grouped by what they mean for the run.
const WAITING = new Set([
  'PENDING',
  'CONFIGURING',
  'REQUEUED',
  'REQUEUE_FED',
  'REQUEUE_HOLD',
  'RESV_DEL_HOLD',
  'SUSPENDED',
  'STOPPED',
  'RESIZING',
]);
const GOING = new Set(['RUNNING', 'COMPLETING', 'SIGNALING', 'STAGE_OUT']);
const FAILED = new Set([
  'FAILED',
  'TIMEOUT',
  'NODE_FAIL',
  'OUT_OF_MEMORY',
  'BOOT_FAIL',
  'DEADLINE',
  'PREEMPTED',
  'REVOKED',
  'SPECIAL_EXIT',
]);

/**
 * The phase of a job from Slurm's state (squeue, scontrol, or sacct's "CANCELLED by 1000") and the
 * run's result.json. The result wins once it is there: Slurm says COMPLETED for a batch script
 * that exited 0 even when the trainer inside stopped early, and CANCELLED for a job whose trainer
 * caught SIGTERM and saved a cancelled result. Undefined while nothing is known (Slurm forgot
 * the job and there is no result yet: the caller decides how long to wait).
 */
export function jobPhase(slurmState: string | undefined, result?: Pick<RunSummary, 'status'>): JobPhase | undefined {
  if (result) {
    return result.status === 'completed' ? 'COMPLETED' : result.status === 'cancelled' ? 'CANCELLED' : 'FAILED';
  }
  const word = slurmState?.trim().split(/[\s+]/)[0]?.toUpperCase();
  if (!word) return undefined;
  if (WAITING.has(word)) return 'PENDING';
  if (GOING.has(word)) return 'RUNNING';
  if (word === 'CANCELLED') return 'CANCELLED';
  // COMPLETED without a result.json: the script ended but the trainer wrote nothing, a failure.
  if (word === 'COMPLETED' || FAILED.has(word)) return 'FAILED';
  return undefined;
}

/** Whether a job may still write to its run folder. */
export function isActivePhase(phase: JobPhase | undefined): boolean {
  return phase === 'PENDING' || phase === 'RUNNING';
}

/** Slurm's word when it says more than the phase (TIMEOUT is FAILED, but why matters). */
export function phaseDetail(slurmState: string | undefined, phase: JobPhase): string | undefined {
  const word = slurmState?.trim().split(/\s+/)[0]?.toUpperCase();
  return word && word !== phase ? word : undefined;
}

/** What Slurm said of a job: its state word, `unknown` (no such job any more), or `unreachable` (no squeue here). */
export type JobAnswer = { readonly state: string } | 'unknown' | 'unreachable';

/**
 * A job's state as Slurm tells it, without blocking the editor: squeue while it is known to the
 * queue, then scontrol (finished jobs are kept for MinJobAge). sacct is not asked: accounting is
 * often off on small clusters.
 */
export async function queryJobState(jobId: string): Promise<JobAnswer> {
  type Answer = { out?: string; missing: boolean };
  const run = (command: string, args: readonly string[]): Promise<Answer> =>
    new Promise((resolve) => {
      execFile(command, [...args], { encoding: 'utf8', timeout: 20_000 }, (error, stdout) => {
        const missing = (error as NodeJS.ErrnoException | null)?.code === 'ENOENT';
        resolve({ ...(error ? {} : { out: stdout }), missing });
      });
    });
  const queued = await run('squeue', ['-h', '-j', jobId, '-o', '%T']);
  if (queued.missing) return 'unreachable';
  const word = queued.out?.trim().split('\n')[0]?.trim();
  if (word) return { state: word };
  const shown = await run('scontrol', ['show', 'job', jobId]);
  const state = shown.out ? /JobState=(\S+)/.exec(shown.out)?.[1] : undefined;
  return state ? { state } : 'unknown';
}
