import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { summarize } from '../../src/core';
import { repoPath } from '../helpers/paths';
import { readNetwork } from '../helpers/read';

// Ground truth from PyTorch: scripts/torch-reference/robarch_counts.py built every config in
// test/fixtures/robarch-hydra/variants with RobArch's own ConfigurableModel and recorded
// sum(p.numel()) in total and per module that owns parameters.
interface Reference {
  total: number;
  modules: Record<string, number>;
}
const DIR = 'test/fixtures/robarch-hydra/variants';
const references = JSON.parse(fs.readFileSync(repoPath(DIR, 'torch-counts.json'), 'utf8')) as Record<
  string,
  Reference | string
>;
const variants = fs
  .readdirSync(repoPath(DIR))
  .filter((f) => f.endsWith('.yaml'))
  .sort();

describe('parameter counts equal PyTorch on RobArch config variants', () => {
  it('has a PyTorch reference for every variant file', () => {
    assert.ok(variants.length >= 20);
    for (const file of variants) assert.equal(typeof references[file], 'object', `no reference for ${file}`);
  });

  for (const file of variants) {
    it(file, () => {
      const reference = references[file] as Reference;
      const summary = summarize(readNetwork(`${DIR}/${file}`));
      assert.deepEqual(summary.total, { known: true, value: reference.total });

      // Our SE layer stands for torchvision's SqueezeExcitation module as a whole: add up its
      // children (fc1, fc2, a parametric activation) under the layer's name.
      const ours = new Map<string, number>();
      for (const row of summary.rows) {
        if (row.params.known && row.params.value > 0) ours.set(row.layer.name, row.params.value);
      }
      const theirs = new Map<string, number>();
      for (const [name, count] of Object.entries(reference.modules)) {
        const owner = [...ours.keys()].find((layer) => name === layer || name.startsWith(`${layer}.`)) ?? name;
        theirs.set(owner, (theirs.get(owner) ?? 0) + count);
      }
      assert.deepEqual(Object.fromEntries([...ours].sort()), Object.fromEntries([...theirs].sort()));
    });
  }
});
