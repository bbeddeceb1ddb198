import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeFileAtomic, writeJsonAtomic } from '../util/atomic-write';
import type { TorchLaunch } from './torch-run';
import { pythonDir, shellLine, shellQuote, trainerCommand } from './trainer-command';

export interface SlurmOptions {
  readonly partition?: string;
  readonly gpusPerNode?: number;
  /** sbatch --time, e.g. 1-12:00:00. */
  readonly time?: string;
  readonly account?: string;
}

export const SBATCH_FILE = 'job.sbatch';
export const SLURM_JOB_FILE = 'slurm-job.json';

/**
 * The batch script of a run: one Slurm task per node (srun), each starting torchrun with the
 * node's processes; several nodes meet at a c10d rendezvous on the job's first node, named after
 * the job. Output goes beside the run (slurm-<job>.out, appended across resubmissions).
 */
export function sbatchScript(runDir: string, launch: TorchLaunch, slurm: SlurmOptions): string {
  const id = path.basename(runDir);
  const lines = [
    '#!/bin/bash',
    `#SBATCH --job-name=${shellQuote(`rl-${id}`)}`,
    `#SBATCH --nodes=${launch.nnodes}`,
    '#SBATCH --ntasks-per-node=1',
    `#SBATCH --cpus-per-task=${launch.nprocPerNode}`,
    `#SBATCH --output=${shellQuote(path.join(runDir, 'slurm-%j.out'))}`,
    '#SBATCH --open-mode=append',
    ...(slurm.partition ? [`#SBATCH --partition=${shellQuote(slurm.partition)}`] : []),
    ...(slurm.gpusPerNode ? [`#SBATCH --gpus-per-node=${slurm.gpusPerNode}`] : []),
    ...(slurm.time ? [`#SBATCH --time=${shellQuote(slurm.time)}`] : []),
    ...(slurm.account ? [`#SBATCH --account=${shellQuote(slurm.account)}`] : []),
    '# Written by robustness-lens train --slurm; resubmitted by train --resume RUN --slurm.',
    `export PYTHONPATH=${shellQuote(pythonDir())}\${PYTHONPATH:+:$PYTHONPATH}`,
    'export PYTHONDONTWRITEBYTECODE=1',
  ];
  if (launch.nnodes === 1) {
    const c = trainerCommand(runDir, { ...launch, rdzvEndpoint: undefined });
    lines.push(`srun --ntasks-per-node=1 ${shellLine([c.command, ...c.args])}`);
  } else {
    const c = trainerCommand(runDir, { ...launch, rdzvEndpoint: 'RDZV' }, 'RDZV_ID');
    const words = c.args.map((a) =>
      a === 'RDZV' ? '"$head:29500"' : a === 'RDZV_ID' ? '"$SLURM_JOB_ID"' : shellQuote(a),
    );
    lines.push('head=$(scontrol show hostnames "$SLURM_JOB_NODELIST" | head -n 1)');
    lines.push(`srun --ntasks-per-node=1 ${shellQuote(c.command)} ${words.join(' ')}`);
  }
  return `${lines.join('\n')}\n`;
}

export interface SubmittedJob {
  readonly jobId: string;
  readonly script: string;
  readonly submittedAt: string;
}

export class SlurmError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SlurmError';
  }
}

/** Writes the script beside the run and submits it; the job id goes to slurm-job.json. */
export function submitRun(runDir: string, launch: TorchLaunch, slurm: SlurmOptions): SubmittedJob {
  const script = path.join(runDir, SBATCH_FILE);
  writeFileAtomic(script, sbatchScript(runDir, launch, slurm));
  fs.chmodSync(script, 0o755);
  fs.rmSync(path.join(runDir, 'result.json'), { force: true });
  const out = spawnSync('sbatch', ['--parsable', script], { encoding: 'utf8', cwd: runDir, timeout: 60_000 });
  if (out.error)
    throw new SlurmError(
      (out.error as NodeJS.ErrnoException).code === 'ENOENT'
        ? 'sbatch is not on PATH: is this a Slurm login node?'
        : out.error.message,
    );
  if (out.status !== 0) throw new SlurmError(`sbatch refused the job: ${out.stderr.trim() || `exit ${out.status}`}`);
  const jobId = out.stdout.trim().split(';')[0] ?? '';
  if (!/^\d+$/.test(jobId)) throw new SlurmError(`sbatch printed no job id ("${out.stdout.trim()}")`);
  const job = { jobId, script, submittedAt: new Date().toISOString() };
  const history = readJob(runDir)?.jobs ?? [];
  writeJsonAtomic(path.join(runDir, SLURM_JOB_FILE), { ...job, jobs: [...history, jobId] });
  return job;
}

export function readJob(runDir: string): (SubmittedJob & { jobs?: string[] }) | undefined {
  try {
    return JSON.parse(fs.readFileSync(path.join(runDir, SLURM_JOB_FILE), 'utf8')) as SubmittedJob & { jobs?: string[] };
  } catch {
    return undefined;
  }
}

/**
 * A job's state as Slurm tells it: squeue while it is queued or running, then scontrol (which
 * keeps finished jobs for MinJobAge); sacct is not used, accounting is often off. Undefined when
 * Slurm no longer knows the job.
 */
export function jobState(jobId: string): string | undefined {
  const queued = spawnSync('squeue', ['-h', '-j', jobId, '-o', '%T'], { encoding: 'utf8', timeout: 30_000 });
  const fromQueue = queued.status === 0 ? queued.stdout.trim().split('\n')[0]?.trim() : undefined;
  if (fromQueue) return fromQueue;
  const shown = spawnSync('scontrol', ['show', 'job', jobId], { encoding: 'utf8', timeout: 30_000 });
  return shown.status === 0 ? /JobState=(\S+)/.exec(shown.stdout)?.[1] : undefined;
}

export function cancelJob(jobId: string): void {
  const out = spawnSync('scancel', [jobId], { encoding: 'utf8', timeout: 30_000 });
  if (out.error)
    throw new SlurmError(
      (out.error as NodeJS.ErrnoException).code === 'ENOENT' ? 'scancel is not on PATH' : out.error.message,
    );
  if (out.status !== 0) throw new SlurmError(`scancel ${jobId} failed: ${out.stderr.trim() || `exit ${out.status}`}`);
}
