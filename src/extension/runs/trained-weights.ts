import * as fs from 'node:fs';
import * as path from 'node:path';
import { readRunFolders } from './run-folders';

/** A finished training run whose checkpoint an evaluation can load. */
export interface TrainedWeights {
  readonly runDir: string;
  readonly runId: string;
  readonly data: string;
  /** The last epoch's figures, for the quick pick's description. */
  readonly epochs: number;
  readonly cleanAccuracy?: number;
  readonly pgdAccuracy?: number;
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Training runs of this model (same file, same model name) that saved at least one epoch, newest
 * first: after training, "Evaluate robustness" should attack the trained weights, not a fresh
 * random initialisation.
 */
export function trainedWeightsFor(
  workspace: string,
  modelFile: string,
  modelName: string | undefined,
): TrainedWeights[] {
  const wanted = path.resolve(modelFile);
  return readRunFolders([workspace], () => undefined)
    .filter((r) => r.kind === 'train' && r.state !== 'running' && r.state !== 'queued')
    .filter((r) => {
      const model = isObject(r.config) ? r.config.model : undefined;
      if (!isObject(model) || typeof model.file !== 'string' || path.resolve(model.file) !== wanted) return false;
      return modelName === undefined || model.name === modelName;
    })
    .filter((r) => fs.existsSync(path.join(r.dir, 'checkpoint.rlck')))
    .map((r) => {
      const last = r.result?.history?.at(-1);
      const data = isObject(r.config) && typeof r.config.data === 'string' ? r.config.data : 'mnist';
      return {
        runDir: r.dir,
        runId: r.id,
        data,
        epochs: r.result?.history?.length ?? 0,
        ...(last ? { cleanAccuracy: last.cleanAccuracy, pgdAccuracy: last.pgdAccuracy } : {}),
      };
    });
}
