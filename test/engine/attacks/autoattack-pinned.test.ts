import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { describe, it } from 'node:test';
import { onnxRuntimeProblem } from '../../../src/engine/onnx/load-onnxruntime';
import { repoPath } from '../../helpers/paths';
import { runPinnedWorkload, type PinnedFlags } from '../support/autoattack-pin-workload';

// The fixture was written by scripts/pin-autoattack.ts with the code before the AutoAttack speed
// work (issue 18); every later change to the attacks or the ONNX classifier must reproduce it.
const FIXTURE = repoPath('test', 'fixtures', 'autoattack', 'standard-flags.json');

const problem = onnxRuntimeProblem();
describe('AutoAttack standard, seeded, on ONNX Runtime', { skip: problem ?? false }, () => {
  it('gives the pinned per-image flags and attack that broke each image', async () => {
    const expected = JSON.parse(fs.readFileSync(FIXTURE, 'utf8')) as PinnedFlags;
    const actual = await runPinnedWorkload();
    assert.equal(actual.eps, expected.eps);
    assert.equal(actual.seed, expected.seed);
    assert.deepEqual(actual.clean, expected.clean);
    assert.deepEqual(actual.brokenBy, expected.brokenBy);
    assert.deepEqual(actual.afterEach, expected.afterEach);
    assert.deepEqual(actual.alone, expected.alone);
    // Only worth pinning if some images survive every attack (so each one runs in full) and some break.
    assert.ok(
      expected.brokenBy.includes(null) && expected.brokenBy.includes('apgd-ce'),
      JSON.stringify(expected.brokenBy),
    );
    for (const flags of Object.values(expected.alone))
      assert.ok(flags.includes(0) && flags.includes(1), JSON.stringify(expected.alone));
  });
});
