import * as fs from 'node:fs';
import assert from 'node:assert/strict';
import { readModelFile, type Network, type ReadOptions } from '../../src/core';
import { repoPath } from './paths';

/** Reads a repository file through the core and fails the test on any error diagnostic. */
export function readNetwork(relative: string, options: ReadOptions = {}): Network {
  const result = readModelFile(relative, fs.readFileSync(repoPath(relative), 'utf8'), options);
  const errors = result.diagnostics.filter((d) => d.severity === 'error');
  assert.deepEqual(errors, [], `${relative} should read without errors`);
  assert.ok(result.network, `${relative} should give a network`);
  return result.network;
}
