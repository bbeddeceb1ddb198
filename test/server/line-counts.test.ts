import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { networksOf, readModelFile, summarize } from '../../src/core';
import { countsByLine } from '../../src/server/line-counts';
import { repoPath } from '../helpers/paths';
import { usePythonParser } from '../helpers/python';

usePythonParser();

/** Inlay labels by 0-based line of a Python text, as the editor would show them. */
function labels(text: string, file = 'model.py'): Map<number, string> {
  const summaries = networksOf(readModelFile(file, text)).map((n) => summarize(n, n.inputSize ?? 224));
  return new Map(countsByLine(summaries).map((c) => [c.line, c.label]));
}

function lineOf(text: string, fragment: string): number {
  const line = text.split('\n').findIndex((l) => l.includes(fragment));
  assert.ok(line >= 0, `no line with ${fragment}`);
  return line;
}

const HELPERS = `import torch.nn as nn

def conv3x3(cin, cout, stride=1):
    return nn.Conv2d(cin, cout, kernel_size=3, stride=stride, padding=1, bias=False)

class Block(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.conv1 = conv3x3(c, c)
        self.bn1 = nn.BatchNorm2d(c)
        self.conv2 = conv3x3(c, c)

    def forward(self, x):
        return x + self.conv2(self.bn1(self.conv1(x)))

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = conv3x3(3, 16)
        self.blocks = nn.Sequential(*[Block(16) for _ in range(4)])
        self.fc = nn.Linear(16, 10)

    def forward(self, x):
        x = self.blocks(self.stem(x))
        return self.fc(x.mean((2, 3)))

model = Net()
`;

describe('parameter counts per line', () => {
  it("counts a helper's layers where it is called, not on the helper's return line", () => {
    const shown = labels(HELPERS);
    assert.equal(shown.get(lineOf(HELPERS, 'return nn.Conv2d')), undefined, "nothing on the helper's return");
    assert.equal(shown.get(lineOf(HELPERS, 'self.stem = conv3x3')), '# 432 params');
    assert.equal(shown.get(lineOf(HELPERS, 'self.conv1 = conv3x3')), '# 2,304 params ×4 blocks');
    assert.equal(shown.get(lineOf(HELPERS, 'self.conv2 = conv3x3')), '# 2,304 params ×4 blocks');
    assert.equal(shown.get(lineOf(HELPERS, 'self.bn1 =')), '# 32 params ×4 blocks');
  });

  it("a helper calling a helper counts at the outermost call in the model's own code", () => {
    const text = HELPERS.replace(
      'class Block',
      `def conv_bn(cin, cout):
    return nn.Sequential(conv3x3(cin, cout), nn.BatchNorm2d(cout))

class Block`,
    ).replace('self.stem = conv3x3(3, 16)', 'self.stem = conv_bn(3, 16)');
    const shown = labels(text);
    assert.equal(shown.get(lineOf(text, 'self.stem = conv_bn')), '# 464 params');
    assert.equal(shown.get(lineOf(text, 'return nn.Sequential(conv3x3')), undefined);
  });

  it('says "used by N models" on the lines two models of one file share', () => {
    const text = fs.readFileSync(repoPath('examples/pytorch/resnet.py'), 'utf8');
    const shown = labels(text, 'resnet.py');
    // resnet18 and resnet50 both build the stem of the ResNet class.
    const stem = lineOf(text, 'self.conv1 = nn.Conv2d(3, self.inplanes');
    assert.equal(shown.get(stem), '# 9,408 params · used by 2 models');
    // BasicBlock serves resnet18 only: 8 blocks of four widths, a sum over its blocks.
    const basic = lineOf(text, 'self.conv1 = conv3x3(inplanes, planes, stride)');
    assert.match(shown.get(basic) ?? '', /^# [\d,]+ params in 8 blocks$/);
    const returns = ['kernel_size=3, stride=stride, padding=dilation', 'kernel_size=1, stride=stride, bias=False)'];
    for (const helper of returns) {
      assert.equal(shown.get(lineOf(text, helper)), undefined, `no file-wide sum on ${helper}`);
    }
  });
});
