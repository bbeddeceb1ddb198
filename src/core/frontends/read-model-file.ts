import { parse } from 'yaml';
import type { Diagnostic } from '../ir/diagnostic';
import { pointRange } from '../ir/source';
import { readArchSpec } from './arch-spec/read-arch-spec';
import { looksLikePyTorch, readPyTorch } from './pytorch/read-pytorch';
import type { PythonReadMemo } from './pytorch/read-memo';
import type { PythonSearchOptions } from './pytorch/module-files';
import type { NamedModels } from './pytorch/named-models';
import { looksLikeTfjsModel, readTfjsModel } from './tfjs/read-tfjs-model';
import { looksLikeKeras, readKeras } from './keras/read-keras';
import { checkFileSize } from './limits';
import { utf8ByteLength } from '../util/utf8-length';
import type { ReadResult } from './read-result';
import { findKwargsPath, readRobArchHydra, type HydraReadOptions } from './robarch-hydra/read-robarch-hydra';

export interface ReadOptions extends HydraReadOptions {
  /** Kept by the caller per open document: a PyTorch file is then re-read incrementally. */
  readonly memo?: PythonReadMemo;
  /** Where a Python file's imports are looked for, besides its own package root. */
  readonly python?: PythonSearchOptions;
  /** Models the user named (`--model`, the config's `models`): in a Python file defining them, they are its models. */
  readonly models?: NamedModels;
}

export type ModelFileFormat = 'arch-spec' | 'robarch-hydra' | 'pytorch' | 'keras' | 'tfjs';

const ARCH_SPEC_NAME = /\.arch\.(ya?ml|json)$/i;
const STRUCTURED_NAME = /\.(ya?ml|json)$/i;

/**
 * Which front end reads this file: our spec by its name (`*.arch.yaml|json`), a RobArch Hydra
 * model config by its content (a `kwargs` mapping with stage widths and depths).
 */
export function detectFormat(file: string, text: string): ModelFileFormat | undefined {
  if (ARCH_SPEC_NAME.test(file)) return 'arch-spec';
  if (/\.py$/i.test(file)) return looksLikePyTorch(text) ? 'pytorch' : looksLikeKeras(text) ? 'keras' : undefined;
  if (!STRUCTURED_NAME.test(file)) return undefined;
  let root: unknown;
  try {
    root = parse(text, { prettyErrors: false, logLevel: 'error' });
  } catch {
    return undefined;
  }
  if (findKwargsPath(root)) return 'robarch-hydra';
  if (looksLikeTfjsModel(root)) return 'tfjs';
  if (root && typeof root === 'object' && 'stages' in root && 'stem' in root) return 'arch-spec';
  return undefined;
}

/**
 * Reads any model description file the core understands. A reader that throws is a bug, but it
 * stays one file's problem: it becomes RL112 at the start of that file, and callers go on.
 */
export function readModelFile(file: string, text: string, options: ReadOptions = {}): ReadResult {
  try {
    return readAnyModelFile(file, text, options);
  } catch (error) {
    return { diagnostics: [internalErrorDiagnostic(file, error)] };
  }
}

/** RL112: what a caller reports when reading, counting or linting one file threw. */
export function internalErrorDiagnostic(file: string, error: unknown): Diagnostic {
  const reason =
    error instanceof RangeError && /call stack/i.test(error.message)
      ? 'the file nests too deeply to analyse'
      : `internal error: ${error instanceof Error ? error.message : String(error)} (please report this file)`;
  return {
    file,
    range: pointRange(0, 0),
    severity: 'error',
    code: 'RL112',
    message: `could not analyse this file: ${reason}`,
  };
}

function readAnyModelFile(file: string, text: string, options: ReadOptions): ReadResult {
  const tooLarge = checkFileSize(file, utf8ByteLength(text));
  if (tooLarge) return { diagnostics: [tooLarge] };
  switch (detectFormat(file, text)) {
    case 'arch-spec':
      return readArchSpec(file, text);
    case 'robarch-hydra':
      return readRobArchHydra(file, text, options);
    case 'pytorch':
      return readPyTorch(file, text, options.memo, options.python ?? {}, options.models);
    case 'tfjs':
      return readTfjsModel(file, text);
    case 'keras':
      return readKeras(file, text);
    default:
      return {
        diagnostics: [
          {
            file,
            range: pointRange(0, 0),
            severity: 'error',
            code: 'RL105',
            message:
              'not a model file Robustness Lens reads: expected an architecture spec ' +
              '(*.arch.yaml, *.arch.json), a RobArch model config (YAML with a `kwargs` ' +
              'mapping holding stage_widths and depths) a Python file that builds a ' +
              'PyTorch or Keras model, or a TF.js model.json',
          },
        ],
      };
  }
}
