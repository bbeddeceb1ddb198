import { describe, it } from 'node:test';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import assert from 'node:assert/strict';
import type { ParamsReport } from '../../src/core';
import { cli } from '../helpers/cli';
import { repoPath } from '../helpers/paths';

function json(...args: string[]): ParamsReport {
  const result = cli('params', ...args, '--json');
  assert.equal(result.code, 0, result.stderr);
  return JSON.parse(result.stdout) as ParamsReport;
}

describe('robustness-lens params', () => {
  it('--json gives one object with the total and every layer', () => {
    const report = json(repoPath('examples/robarch-s.arch.yaml'));
    assert.equal(report.total, 26_143_228);
    assert.equal(report.knownParams, 26_143_228);
    assert.equal(
      report.layers.reduce((sum, l) => sum + (l.params ?? NaN), 0),
      26_143_228,
    );
    const stem = report.layers[0];
    assert.deepEqual(
      { name: stem?.name, type: stem?.type, output: stem?.output, params: stem?.params, line: stem?.line },
      { name: 'stem.stem.stem.0', type: 'Conv2d(3->96, k7, s2)', output: '[96, 112, 112]', params: 14_112, line: 7 },
    );
    assert.deepEqual(report.budget, { params: 26_000_000, used: 26_143_228 / 26_000_000 });
    assert.deepEqual(
      report.parts.map((p) => p.name),
      ['stem', 'stage1', 'stage2', 'stage3', 'stage4', 'head'],
    );
  });

  it('reads the JSON form of the spec with tabs and a $schema key', () => {
    assert.equal(json(repoPath('test/fixtures/arch-spec/robarch-l.arch.json')).total, 104_065_776);
  });

  it('reports the num_classes fallback of a Hydra config as a note, and --num-classes replaces it', () => {
    const file = repoPath('examples/hydra/resnet50.yaml');
    const fallback = json(file);
    assert.equal(fallback.total, 25_557_032);
    assert.equal(fallback.notes[0]?.code, 'RL110');
    const ten = json(file, '--num-classes', '10');
    // Only the head changes: Linear(2048 -> 10) instead of Linear(2048 -> 1000).
    assert.equal(ten.total, 25_557_032 - 2048 * 990 - 990);
  });

  it("--budget overrides the file's budget", () => {
    const report = json(repoPath('examples/robarch-s.arch.yaml'), '--budget', '30M');
    assert.deepEqual(report.budget, { params: 30_000_000, used: 26_143_228 / 30_000_000 });
  });

  it('prints a per-layer table, per-part totals and the total', () => {
    const result = cli('params', repoPath('examples/resnet50.arch.yaml'));
    assert.equal(result.code, 0);
    assert.match(result.stdout, /^Layer\s+Type\s+Output shape\s+Params\s+MACs\s+Line$/m);
    assert.match(
      result.stdout,
      /^stages\.stage1\.stage1-block0\.proj\.0\s+Conv2d\(64->256, k1\)\s+\[256, 56, 56\]\s+16,384\s+51,380,224\s+21$/m,
    );
    assert.match(result.stdout, /^Total params: 25,557,032 \(25\.56M\)$/m);
    assert.match(result.stdout, /^Budget: budget 26M: 98\.3% \(-1\.7%\)$/m);
  });

  it('one file with several models in --json gives an array of every model, in order', () => {
    const result = cli('params', repoPath('examples/pytorch/resnet.py'), '--json');
    assert.equal(result.code, 0, result.stderr);
    const reports = JSON.parse(result.stdout) as ParamsReport[];
    assert.ok(Array.isArray(reports));
    assert.deepEqual(
      reports.map((r) => r.total),
      [11_689_512, 25_557_032],
    );
  });

  it('--python-path finds a package the file imports', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rl-python-path-'));
    try {
      fs.mkdirSync(path.join(dir, 'lib', 'blocks'), { recursive: true });
      fs.writeFileSync(path.join(dir, 'lib', 'blocks', '__init__.py'), 'from .conv import Block\n');
      fs.writeFileSync(
        path.join(dir, 'lib', 'blocks', 'conv.py'),
        'import torch.nn as nn\n\nclass Block(nn.Module):\n    def __init__(self, c):\n   ' +
          '     super().__init__()\n        self.fc = nn.Linear(c, c)\n',
      );
      const model = path.join(dir, 'model.py');
      fs.writeFileSync(
        model,
        'import torch\nimport torch.nn as nn\nfrom blocks import Block\n\nclass ' +
          'Net(nn.Module):\n    def __init__(self):\n        super().__init__()\n        ' +
          'self.block = Block(10)\n',
      );
      const without = JSON.parse(cli('params', model, '--json').stdout) as ParamsReport;
      assert.equal(without.total, null, 'without the search path, Block is not known');
      assert.equal(json(model, '--python-path', path.join(dir, 'lib')).total, 110);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('several files in --json give an array, in order', () => {
    const result = cli(
      'params',
      repoPath('examples/robarch-m.arch.yaml'),
      repoPath('examples/hydra/robarch_m.yaml'),
      '--json',
    );
    const reports = JSON.parse(result.stdout) as ParamsReport[];
    assert.deepEqual(
      reports.map((r) => r.total),
      [45_901_928, 45_901_928],
    );
  });
});
