import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { summarize } from '../../src/core';
import { readNetwork } from '../helpers/read';

// PyTorch's sum(p.numel() for p in model.parameters()) for each model, from the RobArch paper's
// released models and torchvision (robarch-guidelines.md).
const EXPECTED: Record<string, number> = {
  'robarch-s': 26_143_228,
  'robarch-m': 45_901_928,
  'robarch-l': 104_065_776,
  resnet50: 25_557_032,
};

describe('exact parameter counts of the bundled examples', () => {
  for (const [model, total] of Object.entries(EXPECTED)) {
    it(`${model} in our spec format has ${total.toLocaleString('en-US')} parameters`, () => {
      const summary = summarize(readNetwork(`examples/${model}.arch.yaml`));
      assert.equal(summary.total.known && summary.total.value, total);
    });
    it(`${model} in RobArch's Hydra form has ${total.toLocaleString('en-US')} parameters`, () => {
      const summary = summarize(readNetwork(`examples/hydra/${model.replace('-', '_')}.yaml`));
      assert.equal(summary.total.known && summary.total.value, total);
    });
  }

  it('gives the same layers, names and counts for both forms of a model', () => {
    const spec = summarize(readNetwork('examples/robarch-m.arch.yaml'));
    const hydra = summarize(readNetwork('examples/hydra/robarch_m.yaml'));
    const rows = (s: typeof spec): [string, number | undefined][] =>
      s.rows.map((r) => [r.layer.name, r.params.known ? r.params.value : undefined]);
    assert.deepEqual(rows(spec), rows(hydra));
  });

  it('splits the total into stem, stages and head that add up', () => {
    const summary = summarize(readNetwork('examples/robarch-s.arch.yaml'));
    assert.deepEqual(
      summary.parts.map((p) => p.name),
      ['stem', 'stage1', 'stage2', 'stage3', 'stage4', 'head'],
    );
    const sum = summary.parts.reduce((acc, p) => acc + (p.params.known ? p.params.value : NaN), 0);
    assert.equal(sum, 26_143_228);
    // Stem: 7x7 conv 3->96 without bias, BatchNorm(96).
    assert.equal(summary.parts[0]?.params.known && summary.parts[0].params.value, 7 * 7 * 3 * 96 + 2 * 96);
    // Head: Linear(2160 -> 1000) with bias.
    assert.equal(summary.parts[5]?.params.known && summary.parts[5].params.value, 2160 * 1000 + 1000);
  });
});
