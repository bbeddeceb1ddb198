import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { networksOf, readModelFile, summarize } from '../../src/core';
import { RUN_COMMANDS, runLenses } from '../../src/server/run-lenses';
import { repoPath } from '../helpers/paths';
import { usePythonParser } from '../helpers/python';

usePythonParser();

function lensesOf(file: string, text = fs.readFileSync(file, 'utf8')) {
  return networksOf(readModelFile(file, text)).map((n) => runLenses('file:///m', summarize(n, n.inputSize ?? 224)));
}

describe('run lenses', () => {
  it('puts "Evaluate robustness" and "Train adversarially" on the model\'s line, naming the model', async () => {
    const [lenses] = lensesOf(repoPath('examples/mnist-small.arch.yaml'));
    assert.deepEqual(
      lenses?.map((l) => [l.command?.command, l.command?.arguments]),
      [
        [RUN_COMMANDS.evaluate, ['file:///m', 'MNIST-small']],
        [RUN_COMMANDS.train, ['file:///m', 'MNIST-small']],
      ],
    );
    assert.match(lenses?.[0]?.command?.title ?? '', /Evaluate robustness/);
  });

  it('one pair per model of a file with several; a TF.js model.json gets them too', async () => {
    const torch = lensesOf(repoPath('examples/pytorch/resnet.py'));
    assert.deepEqual(
      torch.map((l) => l[0]?.command?.arguments?.[1]),
      ['resnet18', 'resnet50'],
    );
    const tfjs = lensesOf(repoPath('examples/tfjs/resnet-cifar/model.json'));
    assert.equal(tfjs[0]?.length, 2);
  });

  it('none for a model whose layers are not all known (a width read from the environment)', () => {
    const text =
      'import os\nimport torch.nn as nn\nclass M(nn.Module):\n    def __init__(self):\n   ' +
      '     super().__init__()\n        self.c = nn.Conv2d(3, int(os.environ["W"]), 3)\n   ' +
      '     self.fc = nn.Linear(8, 10)\n';
    const lenses = lensesOf('/tmp/model.py', text);
    assert.equal(lenses.length, 1, 'the model is read');
    assert.deepEqual(lenses[0], []);
  });
});
