/**
 * Which mean/std the engine puts in front of a model it builds. A PyTorch checkpoint is the
 * user's model as PyTorch runs it: its own `mean`/`std` buffers, else whatever `--normalize` says,
 * else nothing, since adding the data set's statistics to a model trained on raw pixels changes
 * what it computes (and the torch back end, running the same file, would not add them).
 */
import * as path from 'node:path';
import type { Dataset } from '../data/dataset';
import type { InputNormalization } from '../tfjs/normalize-input';
import type { TorchWeights } from '../weights/torch-weights';
import { WeightsFileError } from '../weights/weights-error';
import { normalizationFor } from './model-plan';

export interface ChosenNormalization {
  readonly normalization: InputNormalization | undefined;
  /** Said in the run's notes when the choice is not the obvious one. */
  readonly note?: string;
}

export function chooseNormalization(
  data: Dataset,
  weights: TorchWeights | undefined,
  asked: InputNormalization | undefined,
): ChosenNormalization {
  if (!weights) return { normalization: asked ?? normalizationFor(data) };
  const name = path.basename(weights.file);
  const own = weights.normalization;
  if (own && asked) {
    throw new WeightsFileError(
      `${name} carries its own input normalisation (mean ${own.mean.join(', ')}, std ${own.std.join(', ')}); ` +
        '--normalize would apply a second one: leave it out',
    );
  }
  if (own) return { normalization: own };
  if (asked) return { normalization: asked };
  if (own === null) return { normalization: undefined };
  return {
    normalization: undefined,
    note:
      `inputs reach the model as [0,1] pixels: ${name} has no mean/std buffers ` +
      '(give --normalize if the model was trained on normalised inputs)',
  };
}

/** The run's note for a mean/std the person asked for, put before the model. */
export function askedNormalizationNote(n: InputNormalization): string {
  return `inputs normalised before the model: mean ${n.mean.join(', ')}, std ${n.std.join(', ')}`;
}
