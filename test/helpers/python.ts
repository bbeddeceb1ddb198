import { before } from 'node:test';
import { ensurePythonParser } from '../../src/core';
import { repoPath } from './paths';

/** Loads the Python grammar (copied next to the test bundles by `node esbuild.js --tests`) before the file's tests. */
export function usePythonParser(): void {
  before(() => ensurePythonParser(repoPath('dist-test')));
}
