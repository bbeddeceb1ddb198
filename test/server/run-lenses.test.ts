import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { networksOf, readModelFile, summarize } from '../../src/core';
import { engineBuildProblem } from '../../src/server/engine-support';
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

  it('"Evaluate robustness (runs your PyTorch)" alone above a PyTorch model not statically known', () => {
    const text =
      'import os\nimport torch.nn as nn\nclass M(nn.Module):\n    def __init__(self):\n   ' +
      '     super().__init__()\n        self.c = nn.Conv2d(3, int(os.environ["W"]), 3)\n   ' +
      '     self.fc = nn.Linear(8, 10)\n';
    const lenses = lensesOf('/tmp/model.py', text);
    assert.equal(lenses.length, 1, 'the model is read');
    assert.deepEqual(
      lenses[0]?.map((l) => [l.command?.title, l.command?.command, l.command?.arguments]),
      [['$(shield) Evaluate robustness (runs your PyTorch)', RUN_COMMANDS.evaluateTorch, ['file:///m', 'M']]],
    );
  });

  it('the same above a model counted exactly but with a layer the engine lacks, naming the factory', () => {
    const text =
      'import torch.nn as nn\n\nclass Net(nn.Module):\n    def __init__(self, width=8):\n' +
      '        super().__init__()\n        self.body = nn.Sequential(nn.Conv2d(1, width, 3), nn.ZeroPad2d(1),\n' +
      '                                  nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(width, 10))\n\n' +
      '    def forward(self, x):\n        return self.body(x)\n\n\ndef small_net():\n    return Net(4)\n';
    const read = readModelFile('/tmp/padded.py', text);
    const [network] = networksOf(read);
    assert.ok(network);
    const summary = summarize(network, 28);
    assert.equal(summary.total.known, true, 'counted exactly');
    assert.match(engineBuildProblem(summary) ?? '', /the engine has no ZeroPad2d \(body\.1\)/);
    assert.deepEqual(
      runLenses('file:///m', summary).map((l) => [l.command?.command, l.command?.arguments]),
      [[RUN_COMMANDS.evaluateTorch, ['file:///m', 'small_net']]],
    );
    // A Dropout is the identity at evaluation time: the engine builds that one.
    const dropout = networksOf(readModelFile('/tmp/dropout.py', text.replace('nn.ZeroPad2d(1)', 'nn.Dropout(0.1)')));
    const built = runLenses('file:///m', summarize(dropout[0] ?? network, 28));
    assert.deepEqual(
      built.map((l) => l.command?.command),
      [RUN_COMMANDS.evaluate, RUN_COMMANDS.train],
    );
  });

  it('none for a model of another format the engine cannot build', () => {
    const spec = fs.readFileSync(repoPath('examples/mnist-small.arch.yaml'), 'utf8');
    const [summary] = networksOf(readModelFile('/tmp/m.arch.yaml', spec)).map((n) => summarize(n, 28));
    assert.ok(summary);
    const unknownTotal = { ...summary, total: { known: false as const, reason: 'a width is unknown' } };
    assert.deepEqual(runLenses('file:///m', unknownTotal), []);
  });
});
