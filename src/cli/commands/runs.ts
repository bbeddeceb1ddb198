import { parseArgs } from 'node:util';
import { cancelRun, resolveRun } from '../../engine/torch/cancel-run';
import { listRuns } from '../../engine/torch/run-state';
import { runsRoot } from '../../engine/run/run-store';
import { UsageError, type CommandIO } from '../io';
import { pct } from '../progress-printer';
import { renderTable } from '../table';

export const RUNS_USAGE = `Usage: robustness-lens runs [--workspace DIR] [--json]

Lists the runs under DIR/.robustness-lens/runs/ (default: the current folder), newest first,
with their status, last finished epoch and, for Slurm jobs, the job's state (squeue, then
scontrol show job).`;

export const CANCEL_USAGE = `Usage: robustness-lens cancel RUN [--workspace DIR]

Stops a run given by its folder or id: scancel for a Slurm job, SIGTERM for a trainer this
machine's CLI started. Finished epochs are kept; 'train --resume RUN' continues.`;

export function runRuns(argv: readonly string[], io: CommandIO): number {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: { workspace: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) {
    io.out(RUNS_USAGE);
    return 0;
  }
  if (positionals.length > 0) throw new UsageError('runs takes no arguments');
  const rows = listRuns(values.workspace ?? process.cwd());
  if (values.json) {
    io.out(JSON.stringify(rows, null, 2));
    return 0;
  }
  if (rows.length === 0) {
    io.out(`no runs under ${runsRoot(values.workspace ?? process.cwd())}`);
    return 0;
  }
  io.out(
    renderTable(
      ['run', 'kind', 'backend', 'status', 'epoch', 'clean', 'PGD', 'Slurm job'],
      rows.map((r) => [
        r.id,
        r.kind,
        r.backend,
        r.status,
        r.lastEpoch ? `${r.lastEpoch.epoch}/${r.epochs ?? '?'}` : '-',
        r.lastEpoch ? pct(r.lastEpoch.cleanAccuracy) : '-',
        r.lastEpoch ? pct(r.lastEpoch.pgdAccuracy) : '-',
        r.slurm ? `${r.slurm.jobId} ${r.slurm.state}` : '-',
      ]),
      new Set([4, 5, 6]),
    ),
  );
  return 0;
}

export function runCancel(argv: readonly string[], io: CommandIO): number {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: { workspace: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) {
    io.out(CANCEL_USAGE);
    return 0;
  }
  const run = positionals[0];
  if (!run || positionals.length > 1) throw new UsageError('give one run to cancel (its folder or id)');
  let dir: string;
  let how: string;
  try {
    dir = resolveRun(run, runsRoot(values.workspace ?? process.cwd()));
    how = cancelRun(dir);
  } catch (error) {
    io.err(`robustness-lens cancel: ${(error as Error).message}`);
    return 1;
  }
  io.out(`${how}: ${dir}`);
  return 0;
}
