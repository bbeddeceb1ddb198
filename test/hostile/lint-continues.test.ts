import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { cli } from '../helpers/cli';
import { repoPath } from '../helpers/paths';
import { writeTemp } from '../helpers/temp';

// A Python file whose expression nests 3,000 lists deep: the interpreter's recursion runs out of
// stack. Before, `lint DIR` ended at it with "internal error" (exit 70) and printed nothing else.
const NESTED =
  `import torch.nn as nn\n\nx = ${'['.repeat(3000)}${']'.repeat(3000)}\n\n` +
  ('class Net(nn.Module):\n    def __init__(self):\n        super().__init__()\n        ' +
    'self.conv = nn.Conv2d(3, 8, 3)\n');
const SPEC = fs.readFileSync(repoPath('examples/resnet50.arch.yaml'), 'utf8');

// Budget: each command must finish within 20 s (it takes about a second).
const BUDGET_MS = 20_000;

describe('lint and params report per file and go on', () => {
  const dir = path.dirname(writeTemp('models/a_first.arch.yaml', SPEC));
  writeTemp('models/b_nested.py', NESTED);
  writeTemp('models/c_last.arch.yaml', SPEC.replace('name: ResNet-50', 'name: Last'));

  it('lint DIR: the file that fails gets a diagnostic with its location, the others keep their findings', () => {
    const started = Date.now();
    const result = cli('lint', dir, '--no-config');
    assert.ok(Date.now() - started < BUDGET_MS);
    const lines = `${result.stdout}\n${result.stderr}`.split('\n');
    const failure = lines.find((l) => l.includes('b_nested.py'));
    assert.match(
      failure ?? '',
      /b_nested\.py:1:1: RL112 could not analyse this file: the file nests too deeply to analyse/,
    );
    assert.ok(
      lines.some((l) => /a_first\.arch\.yaml:\d+:\d+: RA\d{3}/.test(l)),
      result.stdout,
    );
    assert.ok(
      lines.some((l) => /c_last\.arch\.yaml:\d+:\d+: RA\d{3}/.test(l)),
      result.stdout,
    );
    assert.doesNotMatch(result.stderr, /internal error:/);
    // An unreadable file is an error of the run (exit 2), not a crash (70).
    assert.equal(result.code, 2);
  });

  it('lint --format json still writes the report, with the failure in it', () => {
    const result = cli('lint', dir, '--no-config', '--format', 'json');
    const report = JSON.parse(result.stdout) as unknown;
    assert.match(JSON.stringify(report), /RL112/);
    assert.match(JSON.stringify(report), /RA\d{3}/);
  });

  it('params: the failing file is reported, the other files are counted', () => {
    const result = cli('params', path.join(dir, 'b_nested.py'), path.join(dir, 'a_first.arch.yaml'), '--summary');
    assert.match(result.stderr, /b_nested\.py:1:1: error RL112 could not analyse this file/);
    assert.match(result.stdout, /ResNet-50/);
    assert.equal(result.code, 2);
  });
});
