import * as fs from 'node:fs';
import * as path from 'node:path';
import { FileReadError, READ_LIMITS, readTextBounded } from '../../core/workspace/read-bounded';
import type { RunSummary } from '../../engine/run/run-messages';
import type { RunRecord } from '../../../webview/src/results/protocol';

/** `<workspace>/.robustness-lens/runs`, where the engine writes every run (see run-store.ts). */
export function runsFolder(workspace: string): string {
  return path.join(workspace, '.robustness-lens', 'runs');
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * A JSON file that is there and parses; `missing` and `damaged` are told apart for the log. The
 * read is bounded and stays in the run's folder: a run folder is workspace content, and a
 * `config.json` linked to /dev/zero or a FIFO must not hold the extension host.
 */
function readJson(file: string): { value?: unknown; problem?: 'missing' | string } {
  let text: string;
  try {
    text = readTextBounded(file, { maxBytes: READ_LIMITS.run, root: path.dirname(file), what: 'run file' });
  } catch (error) {
    if (!(error instanceof FileReadError)) throw error;
    return { problem: error.reason === 'missing' ? 'missing' : error.detail };
  }
  try {
    return { value: JSON.parse(text) as unknown };
  } catch (error) {
    return { problem: `not valid JSON (${(error as Error).message})` };
  }
}

/**
 * A result.json worth showing: the fields the panel reads have the right types. Anything else
 * (a half-written file from an old version, a hand edit) is treated as no result.
 */
export function looksLikeRunSummary(value: unknown): value is RunSummary {
  if (!isObject(value)) return false;
  if (typeof value.runId !== 'string' || (value.kind !== 'train' && value.kind !== 'eval')) return false;
  if (!['completed', 'cancelled', 'diverged', 'catastrophic-overfitting'].includes(value.status as string))
    return false;
  if (value.history !== undefined && !(Array.isArray(value.history) && value.history.every(isObject))) return false;
  const e = value.evaluation;
  if (e !== undefined) {
    if (
      !isObject(e) ||
      typeof e.cleanAccuracy !== 'number' ||
      typeof e.robustAccuracy !== 'number' ||
      !Array.isArray(e.attacks)
    )
      return false;
    if (!e.attacks.every((a) => isObject(a) && typeof a.name === 'string' && typeof a.robustAccuracy === 'number'))
      return false;
  }
  return true;
}

/** Which runs the editor knows are still going or waiting (their folders have no result yet). */
export type LiveStates = ReadonlyMap<string, 'running' | 'queued'>;

/**
 * Reads one run folder. A folder without a readable config.json is not a run we can show (a run
 * killed before it wrote one, or a stray folder): it is skipped with a reason.
 */
export function readRunFolder(dir: string, live: LiveStates = new Map()): { record?: RunRecord; skipped?: string } {
  const id = path.basename(dir);
  const config = readJson(path.join(dir, 'config.json'));
  const liveState = live.get(id);
  const idKind = /-(train|eval)-[0-9a-f]+$/.exec(id)?.[1] as 'train' | 'eval' | undefined;
  // A run that has just started writes config.json once its data and model are loaded.
  if (config.problem === 'missing' && liveState && idKind)
    return { record: { id, dir, kind: idKind, config: null, environment: null, state: liveState } };
  if (config.problem !== undefined) return { skipped: `config.json ${config.problem}` };
  if (!isObject(config.value)) return { skipped: 'config.json is not a JSON object' };
  const kind = config.value.kind;
  if (kind !== 'train' && kind !== 'eval') return { skipped: 'config.json names no run kind (train or eval)' };
  const environment = readJson(path.join(dir, 'environment.json'));
  const result = readJson(path.join(dir, 'result.json'));
  const summary = result.value !== undefined && looksLikeRunSummary(result.value) ? result.value : undefined;
  const state: RunRecord['state'] = liveState ?? (summary ? 'finished' : 'interrupted');
  const record: RunRecord = {
    id,
    dir,
    kind,
    config: config.value,
    environment: environment.value ?? null,
    state,
    ...(summary ? { result: summary } : {}),
  };
  const notes: string[] = [];
  if (environment.problem !== undefined && environment.problem !== 'missing')
    notes.push(`environment.json ${environment.problem}`);
  if (result.problem !== undefined && result.problem !== 'missing') notes.push(`result.json ${result.problem}`);
  else if (result.value !== undefined && !summary) notes.push('result.json does not hold a run result');
  return notes.length > 0 ? { record, skipped: notes.join('; ') } : { record };
}

/**
 * Every run of the given workspaces, newest first (run ids start with their UTC start time).
 * Damaged or partial folders never throw: each problem becomes one `log` line, and what can be
 * read is still shown.
 */
export function readRunFolders(
  workspaces: readonly string[],
  log: (line: string) => void,
  live: LiveStates = new Map(),
): RunRecord[] {
  const records: RunRecord[] = [];
  for (const workspace of workspaces) {
    const root = runsFolder(workspace);
    let names: string[];
    try {
      names = fs
        .readdirSync(root, { withFileTypes: true })
        .filter((d) => d.isDirectory())
        .map((d) => d.name);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT')
        log(`runs: cannot list ${root}: ${(error as Error).message}`);
      continue;
    }
    for (const name of names) {
      const dir = path.join(root, name);
      try {
        const { record, skipped } = readRunFolder(dir, live);
        if (skipped) log(`runs: ${record ? 'partly read' : 'skipped'} ${dir}: ${skipped}`);
        if (record) records.push(record);
      } catch (error) {
        log(`runs: skipped ${dir}: ${(error as Error).message}`);
      }
    }
  }
  const key = (r: RunRecord): string => {
    // The id's stamp has whole seconds; two runs started in one second are told apart by the
    // start time in environment.json (milliseconds).
    const started =
      isObject(r.environment) && typeof r.environment.startedAt === 'string' ? r.environment.startedAt : '';
    return `${/^\d{8}-\d{6}/.exec(r.id)?.[0] ?? r.id}|${started}|${r.id}`;
  };
  return records
    .map((r) => ({ r, k: key(r) }))
    .sort((a, b) => (a.k < b.k ? 1 : a.k > b.k ? -1 : 0))
    .map((x) => x.r);
}
