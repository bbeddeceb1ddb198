import type { InputNormalization } from '../tfjs/normalize-input';

/** What an evaluation on the user's own PyTorch (the torch back end) needs besides the evaluation's options. */
export interface TorchEvalSource {
  /** The interpreter whose PyTorch runs the model. */
  readonly python: string;
  /** `FILE.py:factory(args)` or `package.module:factory(args)`; else MODEL's network of the IR. */
  readonly entry?: string;
  /** Where the entry's file or package is looked for (default: the workspace). */
  readonly baseDir?: string;
  /** cpu, cuda or cuda:N; default CUDA when that PyTorch sees a GPU. */
  readonly device?: string;
  /** Applied before the model, for models that expect normalised inputs. */
  readonly normalize?: InputNormalization;
  /**
   * The person says the entry's weights are its initial ones (no weights file, and the factory
   * loads none): the result is flagged untrained. Without a weights file or an entry it always is.
   */
  readonly untrained?: boolean;
}

/** The weights files the worker reads: torch.save's (by the usual names) and .safetensors, which it parses itself. */
export const TORCH_WEIGHTS_EXTENSIONS: readonly string[] = ['pt', 'pth', 'ckpt', 'tar', 'bin', 'safetensors'];

/** By extension, since the worker picks its reader by extension (.safetensors, else torch.load). */
export function workerReadsWeightsFile(file: string): boolean {
  const dot = file.lastIndexOf('.');
  return dot >= 0 && TORCH_WEIGHTS_EXTENSIONS.includes(file.slice(dot + 1).toLowerCase());
}
