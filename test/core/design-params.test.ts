import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { designFromNetwork, designParams, summarize } from '../../src/core';
import { repoPath } from '../helpers/paths';
import { readNetwork } from '../helpers/read';

// The budget rules count variants with the closed-form designParams; it must agree with the
// layer-by-layer counter (itself checked against PyTorch) on every model we have.
const VARIANTS = fs
  .readdirSync(repoPath('test/fixtures/robarch-hydra/variants'))
  .filter((f) => f.endsWith('.yaml'))
  .map((f) => `test/fixtures/robarch-hydra/variants/${f}`);
const EXAMPLES = ['robarch-s', 'robarch-m', 'robarch-l', 'resnet50'].map((m) => `examples/${m}.arch.yaml`);

describe('design reconstructed from the IR counts what the IR counts', () => {
  for (const file of [...EXAMPLES, ...VARIANTS]) {
    it(file, () => {
      const network = readNetwork(file);
      const design = designFromNetwork(network);
      assert.ok(design, 'every design-space network has a complete design');
      const total = summarize(network).total;
      assert.equal(designParams(design), total.known ? total.value : NaN);
    });
  }
});
