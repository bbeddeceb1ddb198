import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { impliedInputSize, networksOf, readModelFile, summarize } from '../../src/core';
import { repoPath } from '../helpers/paths';
import { usePythonParser } from '../helpers/python';

usePythonParser();

function only(file: string, text: string) {
  const [network] = networksOf(readModelFile(file, text));
  assert.ok(network, `no model in ${file}`);
  return network;
}

const CNN = (channels: number, features: number): string => `import torch
import torch.nn as nn

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(${channels}, 32, 3, 1, 1)
        self.conv2 = nn.Conv2d(32, 64, 3, 2, 1)
        self.fc = nn.Linear(${features}, 10)

    def forward(self, x):
        x = self.conv2(torch.relu(self.conv1(x)))
        return self.fc(torch.flatten(x, 1))

model = Net()
`;

describe('the input size MACs are counted at', () => {
  it("is the side the first Linear layer's in_features need after a flatten (32 for a CIFAR CNN)", () => {
    // 64 channels at 16x16 after one stride-2 conv: a 32x32 input.
    const network = only('cifar.py', CNN(3, 64 * 16 * 16));
    assert.equal(impliedInputSize(network)?.size, 32);
    const summary = summarize(network);
    assert.equal(summary.inputSize, 32);
    // conv1 at 32x32: 27 weights and a bias per output, 32 outputs per pixel.
    assert.equal(summary.rows[0]?.macs.known ? summary.rows[0].macs.value : undefined, 32 * 32 * 32 * 27);
  });

  it('is 28 for a one-channel model (MNIST), from its Linear layer or its channel', () => {
    assert.equal(impliedInputSize(only('mnist.py', CNN(1, 64 * 14 * 14)))?.size, 28);
    const spec = fs.readFileSync(repoPath('examples/mnist-small.arch.yaml'), 'utf8');
    const small = only('mnist-small.arch.yaml', spec);
    assert.equal(summarize(small).inputSize, 28);
  });

  it('is the input_size an architecture spec declares (CIFAR-small: 32), and the schema refuses a side below 1', () => {
    const spec = fs.readFileSync(repoPath('examples/cifar-small.arch.yaml'), 'utf8');
    assert.match(spec, /^input_size: 32$/m);
    const network = only('cifar-small.arch.yaml', spec);
    assert.deepEqual(impliedInputSize(network), { size: 32, why: 'the size the file declares' });
    const summary = summarize(network);
    assert.equal(summary.inputSize, 32);
    // The stem conv (3 -> 16, 3x3, stride 1, no bias) at 32x32: 27 MACs per output value.
    assert.equal(summary.rows[0]?.macs.known ? summary.rows[0].macs.value : undefined, 32 * 32 * 16 * 27);
    const without = only('cifar-small.arch.yaml', spec.replace(/^input_size: 32\n/m, ''));
    assert.equal(summarize(without).inputSize, 224);
    const refused = readModelFile('bad.arch.yaml', spec.replace(/^input_size: 32$/m, 'input_size: 0'));
    assert.equal(refused.network, undefined);
    assert.equal(refused.diagnostics[0]?.code, 'RL102');
    assert.match(refused.diagnostics[0]?.message ?? '', /input_size/);
  });

  it("says nothing when a global pool makes any side fit (torchvision ResNet): the caller's default applies", () => {
    const network = only('resnet.py', fs.readFileSync(repoPath('examples/pytorch/resnet.py'), 'utf8'));
    assert.equal(impliedInputSize(network), undefined);
    assert.equal(summarize(network).inputSize, 224);
  });
});
