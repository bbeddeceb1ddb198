import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Network } from '../../core';
import type { InputShape, TrainableClassifier } from '../model/classifier';
import type { InputNormalization } from '../tfjs/normalize-input';
import type { TensorDict } from './host-tensor';
import { fileNormalization, matchWeights } from './load-weights';
import { readStateDictFile } from './state-dict';
import { WeightsFileError } from './weights-error';

/** A PyTorch weights file read for a model: its tensors and the normalisation it carries. */
export interface TorchWeights {
  readonly file: string;
  readonly tensors: TensorDict;
  /** From the IR model's `mean`/`std` buffers: null for none (raw pixels), undefined when absent. */
  readonly normalization: InputNormalization | null | undefined;
  /** How the state dict was found (container key, prefixes removed). */
  readonly notes: readonly string[];
}

const TORCH_EXTENSIONS = ['.pt', '.pth', '.bin', '.ckpt', '.tar', '.safetensors'];

/**
 * Whether `file` is a PyTorch weights file (a torch.save zip or safetensors) rather than one of
 * our run folders or checkpoint.rlck files: by extension, else by its first bytes.
 */
export function isTorchWeightsFile(file: string): boolean {
  if (TORCH_EXTENSIONS.some((e) => file.toLowerCase().endsWith(e))) return true;
  try {
    if (fs.statSync(file).isDirectory()) return false;
    const fd = fs.openSync(file, 'r');
    try {
      const head = Buffer.alloc(4);
      fs.readSync(fd, head, 0, 4, 0);
      return head[0] === 0x50 && head[1] === 0x4b;
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return false;
  }
}

export function readTorchWeights(file: string): TorchWeights {
  const read = readStateDictFile(path.resolve(file));
  const normalization = fileNormalization(read.tensors);
  return { file: path.resolve(file), tensors: read.tensors, normalization, notes: read.notes };
}

/**
 * Loads the file's tensors into a model built from `network` by PyTorch name (strict: one
 * message lists every missing, unexpected and wrongly shaped tensor). A model without an IR
 * network (a TF.js model.json) has no PyTorch names to match.
 */
export async function applyTorchWeights(
  model: TrainableClassifier,
  network: Network | undefined,
  input: InputShape,
  weights: TorchWeights,
): Promise<void> {
  const label = path.basename(weights.file);
  if (!network) {
    throw new WeightsFileError(
      `${label}: PyTorch weights load into models the engine builds from their architecture; ` +
        'a TF.js model.json brings its own weights',
    );
  }
  const matched = matchWeights(network, input, weights.tensors, label);
  await model.setState(matched.state);
}
