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
