import type { Diagnostic } from '../ir/diagnostic';
import { pointRange } from '../ir/source';

/** Model description files are hand-written and small; anything larger is not one. */
export const MAX_MODEL_FILE_BYTES = 4 * 1024 * 1024;

export function checkFileSize(file: string, bytes: number): Diagnostic | undefined {
  if (bytes <= MAX_MODEL_FILE_BYTES) return undefined;
  const mb = (bytes / (1024 * 1024)).toFixed(1);
  return {
    file,
    range: pointRange(0, 0),
    severity: 'error',
    code: 'RL100',
    message:
      `file is ${mb} MiB; model description files are limited to ` +
      `${MAX_MODEL_FILE_BYTES / (1024 * 1024)} MiB, so this is not read`,
  };
}
