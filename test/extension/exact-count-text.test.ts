import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import { networksOf, paramsReport, readModelFile, summarize } from '../../src/core';
import { countWithPyTorchAsync } from '../../src/engine/pytorch/exact-count';
import { exactCountLines } from '../../src/extension/exact-count-text';
import { repoPath } from '../helpers/paths';
import { usePythonParser } from '../helpers/python';
import { joinRegExp } from '../helpers/regexp';

usePythonParser();

const TORCH_PYTHON = '/usr/bin/python3';
const torch = (() => {
  try {
    execFileSync(TORCH_PYTHON, ['-c', 'import torch'], { stdio: 'ignore', timeout: 60_000 });
    return true;
  } catch {
    return false;
  }
})();

function staticReports(file: string): ReturnType<typeof paramsReport>[] {
  const read = readModelFile(file, fs.readFileSync(file, 'utf8'));
  return networksOf(read).map((n) => paramsReport(summarize(n), read.diagnostics));
}

describe("the editor's exact count (PyTorch runs the file)", () => {
  it('says clearly when there is no Python to run', async () => {
    const file = repoPath('examples/pytorch/resnet.py');
    const exact = await countWithPyTorchAsync(file, ['resnet18'], {
      python: '/nonexistent/python3',
      script: repoPath('python/inspect_model.py'),
    });
    assert.deepEqual(exactCountLines(staticReports(file), exact), [
      'PyTorch could not count: no Python at "/nonexistent/python3"',
    ]);
  });

  it(
    'compares every model of the ResNet example with PyTorch, without blocking',
    { skip: torch ? false : 'no python3 with torch here' },
    async () => {
      const file = repoPath('examples/pytorch/resnet.py');
      const reports = staticReports(file);
      let ticks = 0;
      const timer = setInterval(() => ticks++, 10);
      const exact = await countWithPyTorchAsync(
        file,
        reports.map((r) => r.name),
        { python: TORCH_PYTHON, script: repoPath('python/inspect_model.py') },
      );
      clearInterval(timer);
      assert.ok(ticks > 0, 'the event loop ran while PyTorch worked');
      const lines = exactCountLines(reports, exact);
      assert.equal(lines.length, 2);
      assert.match(
        lines[0] ?? '',
        joinRegExp(
          /^resnet18: PyTorch \S+ counts 11,689,512 parameters, equal to the static count; /,
          /torch\.fx: 8 residual additions$/,
        ),
      );
      assert.match(
        lines[1] ?? '',
        joinRegExp(
          /^resnet50: PyTorch \S+ counts 25,557,032 parameters, equal to the static count; /,
          /torch\.fx: 16 residual additions$/,
        ),
      );
    },
  );
});
