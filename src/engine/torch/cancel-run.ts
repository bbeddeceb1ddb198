import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PROCESS_FILE } from './run-local';
import { cancelJob, readJob } from './slurm';

/**
 * Stops a run: its Slurm job (scancel: SIGTERM, then SIGKILL after KillWait) or the trainer this
 * machine's CLI started (SIGTERM; torchrun passes it to every worker). Either way the trainer
 * keeps every finished epoch and `train --resume RUN` continues.
 */
export function cancelRun(runDir: string): string {
  const job = readJob(runDir);
  if (job) {
    cancelJob(job.jobId);
    return `scancel ${job.jobId}`;
  }
  let owner: { pid?: number; host?: string };
  try {
    owner = JSON.parse(fs.readFileSync(path.join(runDir, PROCESS_FILE), 'utf8')) as { pid?: number; host?: string };
  } catch {
    throw new Error(`cannot cancel ${runDir}: it is neither a Slurm job nor running from this machine's CLI`);
  }
  if (owner.host !== os.hostname())
    throw new Error(`cannot cancel ${runDir}: it runs on ${owner.host ?? 'another machine'}; stop it there`);
  if (typeof owner.pid !== 'number') throw new Error(`cannot cancel ${runDir}: ${PROCESS_FILE} names no process`);
  try {
    process.kill(owner.pid, 'SIGTERM');
  } catch (error) {
    throw new Error(
      `cannot cancel ${runDir}: process ${owner.pid} is gone (${(error as NodeJS.ErrnoException).code ?? ''})`,
      { cause: error },
    );
  }
  return `SIGTERM to process ${owner.pid}`;
}

/** A run given as a folder, or as an id under the workspace's runs. */
export function resolveRun(run: string, runsFolder: string): string {
  if (fs.existsSync(path.join(run, 'config.json'))) return path.resolve(run);
  const byId = path.join(runsFolder, path.basename(run));
  if (fs.existsSync(path.join(byId, 'config.json'))) return byId;
  throw new Error(`cannot find the run ${run} (give its folder or its id under ${runsFolder})`);
}
