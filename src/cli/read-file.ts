import {
  checkFileSize,
  FileReadError,
  MAX_MODEL_FILE_BYTES,
  pointRange,
  readModelFile,
  readTextBounded,
  type ReadOptions,
  type ReadResult,
} from '../core';

/**
 * Reads a model file from disk with the bounded reader (a FIFO, a device or an oversized file is
 * refused before anything is read). The text comes back too (suppression comments live in it),
 * so callers do not read the file twice. `root`, when given, is the folder the file must be in.
 */
export function readModelFromDisk(
  file: string,
  options: ReadOptions,
  root?: string,
): { result: ReadResult; text?: string } {
  let text: string;
  try {
    text = readTextBounded(file, {
      maxBytes: MAX_MODEL_FILE_BYTES,
      what: 'model file',
      ...(root !== undefined ? { root } : {}),
    });
  } catch (error) {
    if (!(error instanceof FileReadError)) throw error;
    const tooLarge = error.size !== undefined ? checkFileSize(file, error.size) : undefined;
    if (tooLarge) return { result: { diagnostics: [tooLarge] } };
    const message = error.reason === 'missing' ? 'cannot read: no such file' : error.detail;
    return { result: { diagnostics: [{ file, range: pointRange(0, 0), severity: 'error', code: 'RL100', message }] } };
  }
  return { result: readModelFile(file, text, options), text };
}
