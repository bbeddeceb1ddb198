import type { RunRecord } from '../../../webview/src/results/protocol';
import { readRunFolders } from './run-folders';
import type { RunEntry } from './run-queue';

/**
 * The panel's run list: every run folder, with the queue's view of the runs it is still doing,
 * and the waiting runs (they have no folder until the engine starts them) first.
 */
export function listRuns(
  workspaces: readonly string[],
  active: readonly RunEntry[],
  log: (line: string) => void,
): RunRecord[] {
  const live = new Map<string, 'running' | 'queued'>();
  for (const entry of active) if (entry.runId && entry.state !== 'finished') live.set(entry.runId, entry.state);
  const fromFolders = readRunFolders(workspaces, log, live);
  const known = new Set(fromFolders.map((r) => r.id));
  const waiting: RunRecord[] = active
    .filter((e) => e.state !== 'finished' && !(e.runId && known.has(e.runId)))
    .map((e) => ({
      id: e.runId ?? e.key,
      dir: e.runDir ?? '',
      kind: e.request.kind,
      // What was asked for, so the panel can say what is waiting.
      config: { kind: e.request.kind, label: e.request.label, requested: e.request.options },
      environment: null,
      state: e.state === 'queued' ? 'queued' : 'running',
    }));
  return [...waiting.reverse(), ...fromFolders];
}
