import type { RunMessage } from '../../../../src/engine/run/run-messages';
import { arrayOf, count, figure, isFields, isRunId, LIMITS, onlyKeys, str } from './guards';
import { parseEpochMetrics, parseRunSummary, parseStepProgress } from './parse-run';

/** One message a run streams (see RunMessage); each type is a closed shape. */
export function parseRunMessage(value: unknown): RunMessage | undefined {
  if (!isFields(value)) return undefined;
  switch (value.type) {
    case 'started': {
      if (!onlyKeys(value, ['type', 'runId', 'runDir', 'backend', 'device', 'notes'])) return undefined;
      const runDir = str(value.runDir, LIMITS.path);
      const backend = str(value.backend, 200);
      const device = str(value.device, 1_000);
      const notes = arrayOf(value.notes, LIMITS.notes, (n) => str(n));
      if (!isRunId(value.runId) || runDir === undefined || backend === undefined || device === undefined || !notes)
        return undefined;
      return { type: 'started', runId: value.runId, runDir, backend, device, notes };
    }
    case 'progress': {
      if (!onlyKeys(value, ['type', 'phase', 'done', 'total', 'etaSeconds', 'imagesPerSecond', 'detail']))
        return undefined;
      const phase = str(value.phase, 200);
      const done = count(value.done);
      const total = count(value.total);
      const etaSeconds = value.etaSeconds === undefined ? undefined : figure(value.etaSeconds);
      const imagesPerSecond = value.imagesPerSecond === undefined ? undefined : figure(value.imagesPerSecond);
      const detail = value.detail === undefined ? undefined : parseStepProgress(value.detail);
      if (
        phase === undefined ||
        done === undefined ||
        total === undefined ||
        done > total ||
        (value.etaSeconds !== undefined && etaSeconds === undefined) ||
        (value.imagesPerSecond !== undefined && imagesPerSecond === undefined) ||
        (value.detail !== undefined && !detail)
      )
        return undefined;
      return {
        type: 'progress',
        phase,
        done,
        total,
        ...(etaSeconds !== undefined ? { etaSeconds } : {}),
        ...(imagesPerSecond !== undefined ? { imagesPerSecond } : {}),
        ...(detail ? { detail } : {}),
      };
    }
    case 'metric': {
      const epoch = parseEpochMetrics(value.epoch);
      return onlyKeys(value, ['type', 'epoch']) && epoch ? { type: 'metric', epoch } : undefined;
    }
    case 'checkpoint': {
      const file = str(value.file, LIMITS.path);
      const epoch = count(value.epoch);
      return onlyKeys(value, ['type', 'file', 'epoch']) && file !== undefined && epoch !== undefined
        ? { type: 'checkpoint', file, epoch }
        : undefined;
    }
    case 'result': {
      const result = parseRunSummary(value.result);
      return onlyKeys(value, ['type', 'result']) && result ? { type: 'result', result } : undefined;
    }
    case 'error': {
      const message = str(value.message);
      return onlyKeys(value, ['type', 'message']) && message !== undefined ? { type: 'error', message } : undefined;
    }
    default:
      return undefined;
  }
}
