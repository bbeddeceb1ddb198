import type { ModelState, TrainableClassifier } from '../model/classifier';
import { CheckpointError, readCheckpoint } from './checkpoint';
import type { TrainConfig } from './train-config';
import type { EpochMetrics } from './train-loop';

/** What a training run's checkpoint says about the run, beside the tensors. */
export interface TrainingCheckpointMeta {
  readonly kind: 'robustness-lens-training';
  readonly epochsDone: number;
  readonly history: EpochMetrics[];
  readonly config: TrainConfig;
}

export interface TrainingCheckpoint {
  readonly state: ModelState;
  readonly meta: TrainingCheckpointMeta;
}

/**
 * Reads a training checkpoint and checks that its metadata describes a possible run: a whole
 * number of finished epochs within the run's length, one history entry per finished epoch in
 * order, so a resumed run can never start at epoch -4 or call itself completed after 2 of 4.
 */
export function readTrainingCheckpoint(file: string, epochs: number): TrainingCheckpoint {
  const saved = readCheckpoint(file);
  const meta = saved.meta as Partial<TrainingCheckpointMeta> | null;
  const bad = (why: string): CheckpointError => new CheckpointError(`${file} has inconsistent metadata: ${why}`);
  if (typeof meta !== 'object' || meta === null || meta.kind !== 'robustness-lens-training') {
    throw new CheckpointError(`${file} is not a training checkpoint`);
  }
  const done = meta.epochsDone;
  if (typeof done !== 'number' || !Number.isSafeInteger(done) || done < 0 || done > epochs) {
    throw bad(`${JSON.stringify(done)} epochs finished, not a whole number from 0 to the run's ${epochs}`);
  }
  if (typeof meta.config !== 'object' || meta.config === null) throw bad('no training settings');
  if (meta.config.epochs !== epochs) {
    const written = JSON.stringify(meta.config.epochs);
    throw bad(`it was written by a run of ${written} epochs, the run folder's settings say ${epochs}`);
  }
  const history = meta.history;
  if (!Array.isArray(history) || history.length !== done) {
    throw bad(`${done} epochs finished but ${Array.isArray(history) ? history.length : 'no'} epoch records`);
  }
  history.forEach((h: Partial<EpochMetrics> | null, i) => {
    if (typeof h !== 'object' || h === null || h.epoch !== i + 1) {
      throw bad(`epoch record ${i + 1} says epoch ${JSON.stringify(h?.epoch)}`);
    }
  });
  return { state: saved.state, meta: meta as TrainingCheckpointMeta };
}

/** Loads a checkpoint's tensors into the model; a tensor the model lacks or shapes differently is the file's fault. */
export async function loadState(model: TrainableClassifier, state: ModelState, file: string): Promise<void> {
  try {
    await model.setState(state);
  } catch (error) {
    throw new CheckpointError(`${file} does not fit the model: ${(error as Error).message}`);
  }
}

/** The first weight that is NaN or infinite, as "name[index] = value", or undefined when all are finite. */
export function firstNonFinite(state: ModelState): string | undefined {
  for (const [name, t] of state.tensors) {
    const i = t.data.findIndex((v) => !Number.isFinite(v));
    if (i >= 0) return `${name}[${i}] = ${t.data[i]}`;
  }
  return undefined;
}
