import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { parseEntry } from '../../../src/engine/torch/entry';
import { isEntry } from '../../../src/cli/commands/train-torch';
import { torchEvalValues } from '../../../src/cli/commands/eval-torch';
import { checkEntry, torchEvalPrompt } from '../../../src/extension/runs/torch-eval-request';
import { repoPath } from '../../helpers/paths';

interface Cases {
  readonly parsed: { entry: string; target: string; name: string; call: string | null; file: boolean }[];
  readonly refused: string[];
}

// The worker's tests (python/tests/test_model_source.py) read the same cases: both sides must parse alike.
const cases = JSON.parse(fs.readFileSync(repoPath('python/tests/entry_cases.json'), 'utf8')) as Cases;

describe('entries of the torch back end', () => {
  it('parse into target, name and call as the worker parses them, Windows drives included', () => {
    assert.ok(cases.parsed.length >= 10);
    for (const c of cases.parsed) {
      const expected = { target: c.target, name: c.name, ...(c.call !== null ? { call: c.call } : {}), file: c.file };
      assert.deepEqual(parseEntry(c.entry), expected, c.entry);
      assert.equal(checkEntry(c.entry), undefined, c.entry);
    }
  });

  it('refuses what the worker refuses, in the editor with the shape it wants', () => {
    for (const entry of cases.refused) {
      assert.equal(parseEntry(entry), undefined, entry);
      assert.match(checkEntry(entry) ?? '', /FILE\.py:factory\(args\)/, entry);
    }
  });

  it('a drive-letter file is an entry for training, a dotted module is not', () => {
    assert.equal(isEntry('C:\\models\\net.py:resnet50()'), true);
    assert.equal(isEntry('C:/x/net.py:f'), true);
    assert.equal(isEntry('/home/me/net.py:f(3)'), true);
    assert.equal(isEntry('pkg.models:resnet50()'), false);
    assert.equal(isEntry('examples/mnist-small.arch.yaml'), false);
  });

  it('the prompts name the whole file, drive included', () => {
    assert.match(
      torchEvalPrompt('C:\\models\\net.py:resnet50()', 'python', 'cpu'),
      /This runs C:\\models\\net\.py with/,
    );
    assert.throws(
      () => torchEvalValues({ entry: "C:/x/net.py:make({'a': 1})" }, true),
      /--entry .* runs C:\/x\/net\.py under your Python/,
    );
  });
});
