import * as fs from 'node:fs';
import * as path from 'node:path';
import { runsRoot } from '../run/run-store';
import { PROCESS_FILE } from './run-local';
import { jobState, readJob } from './slurm';

/** One run folder as `robustness-lens runs` shows it. */
export interface RunRow {
  readonly id: string;
  readonly dir: string;
  readonly kind: string;
  readonly backend: string;
  /** result.json's status, else "running" / "interrupted" / a Slurm job's state. */
  readonly status: string;
  readonly epochs?: number;
  readonly lastEpoch?: { readonly epoch: number; readonly cleanAccuracy: number; readonly pgdAccuracy: number };
  readonly slurm?: { readonly jobId: string; readonly state: string };
}

function readJsonFile(file: string): Record<string, unknown> | undefined {
  try {
    const value = JSON.parse(fs.readFileSync(file, 'utf8')) as unknown;
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/** Every run of the workspace, newest first; `queryJob` asks Slurm (replaceable in tests). */
export function listRuns(workspace: string, queryJob: (id: string) => string | undefined = jobState): RunRow[] {
  let names: string[];
  try {
    names = fs
      .readdirSync(runsRoot(workspace), { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => d.name);
  } catch {
    return [];
  }
  return names
    .sort()
    .reverse()
    .flatMap((id) => {
      const row = readRun(path.join(runsRoot(workspace), id), queryJob);
      return row ? [row] : [];
    });
}

export function readRun(dir: string, queryJob: (id: string) => string | undefined = jobState): RunRow | undefined {
  const config = readJsonFile(path.join(dir, 'config.json'));
  if (!config) return undefined;
  const result = readJsonFile(path.join(dir, 'result.json'));
  const progress = readJsonFile(path.join(dir, 'checkpoint.json'));
  const history = (result?.history ?? progress?.history) as RunRow['lastEpoch'][] | undefined;
  const last = history?.[history.length - 1];
  const job = readJob(dir);
  const slurm = job ? { jobId: job.jobId, state: queryJob(job.jobId) ?? 'unknown to Slurm' } : undefined;
  const live = fs.existsSync(path.join(dir, PROCESS_FILE));
  const status =
    typeof result?.status === 'string'
      ? result.status
      : slurm && /PENDING|RUNNING|CONFIGURING|COMPLETING|REQUEUED|SUSPENDED/.test(slurm.state)
        ? slurm.state.toLowerCase()
        : live
          ? 'running'
          : 'interrupted';
  const settings = config.config as { epochs?: number } | undefined;
  return {
    id: path.basename(dir),
    dir,
    kind: String(config.kind ?? '?'),
    backend: String(config.backend ?? 'engine'),
    status,
    ...(settings?.epochs !== undefined ? { epochs: settings.epochs } : {}),
    ...(last
      ? { lastEpoch: { epoch: last.epoch, cleanAccuracy: last.cleanAccuracy, pgdAccuracy: last.pgdAccuracy } }
      : {}),
    ...(slurm ? { slurm } : {}),
  };
}
