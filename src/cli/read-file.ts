import * as fs from 'node:fs';
import { checkFileSize, pointRange, readModelFile, type ReadOptions, type ReadResult } from '../core';

/**
 * Reads a model file from disk, refusing oversized files before loading them. The text comes
 * back too (suppression comments live in it), so callers do not read the file twice.
 */
export function readModelFromDisk(file: string, options: ReadOptions): { result: ReadResult; text?: string } {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message;
    return { result: { diagnostics: [{ file, range: pointRange(0, 0), severity: 'error', code: 'RL100', message: `cannot read: ${reason}` }] } };
  }
  if (!stat.isFile()) {
    return { result: { diagnostics: [{ file, range: pointRange(0, 0), severity: 'error', code: 'RL100', message: 'not a file' }] } };
  }
  const tooLarge = checkFileSize(file, stat.size);
  if (tooLarge) return { result: { diagnostics: [tooLarge] } };
  const text = fs.readFileSync(file, 'utf8');
  return { result: readModelFile(file, text, options), text };
}
