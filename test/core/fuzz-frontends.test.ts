import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FUZZ_SOURCES, fuzzFile } from '../helpers/fuzz';
import { usePythonParser } from '../helpers/python';

usePythonParser();

// A sample; `npm run fuzz` runs 10,000 mutations per file.
const ROUNDS = 150;

describe('front ends never throw or hang on mangled files', () => {
  for (const source of FUZZ_SOURCES) {
    it(`${ROUNDS} mutations of ${source}`, () => {
      const outcome = fuzzFile(source, ROUNDS);
      assert.deepEqual(outcome.failures.slice(0, 3), []);
    });
  }
});
