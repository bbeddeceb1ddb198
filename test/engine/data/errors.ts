import assert from 'node:assert/strict';
import { DatasetError } from '../../../src/engine/data';

/** Asserts that `fn` throws a DatasetError whose message names `file` and matches `pattern`. */
export function assertDatasetError(fn: () => unknown, file: string, pattern: RegExp): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof DatasetError, `expected a DatasetError, got ${String(error)}`);
    assert.ok(error.message.includes(file), `the message should name ${file}: ${error.message}`);
    assert.match(error.message, pattern);
    return true;
  });
}
