import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Analyzer } from '../../src/server/document-analysis';
import { codeLensesOf, inlayHintsOf } from '../../src/server/document-views';
import { DEFAULT_SETTINGS } from '../../src/server/settings';
import { usePythonParser } from '../helpers/python';

usePythonParser();

const MODEL = `import torch.nn as nn

class Block(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.conv1 = nn.Conv2d(c, c, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(c)

    def forward(self, x):
        return x + self.bn1(self.conv1(x))

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(3, 16, 3, padding=1, bias=False)
        self.blocks = nn.Sequential(Block(16), Block(16))
        self.fc = nn.Linear(16, 10)

    def forward(self, x):
        x = self.blocks(self.stem(x))
        return self.fc(x.mean((2, 3)))

model = Net()
`;

const URI = 'file:///w/model.py';

function titles(analyzer: Analyzer, text: string, version: number): string[] {
  const analysis = analyzer.analyse(URI, '/w/model.py', text, version, true);
  return codeLensesOf(URI, analysis).map((l) => l.command?.title ?? '');
}

describe('what the editor shows while a PyTorch file is edited', () => {
  it('a layer lost to an undefined name makes the count "at least", never a smaller exact one', () => {
    const analyzer = new Analyzer(() => DEFAULT_SETTINGS);
    const [whole] = titles(analyzer, MODEL, 1);
    assert.match(whole ?? '', /^model: 5,?\d* params|^model: 5\.\d+K params/);
    const [lost] = titles(analyzer, MODEL.replace('self.bn1 = nn.BatchNorm2d(c)', 'self.bn1 = norm'), 2);
    assert.match(lost ?? '', /^model: at least [\d.,K]+ params \(some unknown\)/);
  });

  it('a syntax error mid-edit keeps the last valid count, said to be that, without run lenses or stale hints', () => {
    const analyzer = new Analyzer(() => DEFAULT_SETTINGS);
    const before = titles(analyzer, MODEL, 1);
    assert.ok(before.length > 1, 'the count and the run lenses');
    const broken = MODEL.replace('self.bn1 = nn.BatchNorm2d(c)', 'self.bn1 = nn.BatchNorm2d(c');
    const during = titles(analyzer, broken, 2);
    assert.equal(during.length, 1, during.join(' | '));
    const count = (before[0] ?? '').split(' · ')[0] ?? '';
    assert.equal(during[0], `${count} at the last valid parse (syntax error on line 7)`);
    assert.deepEqual(inlayHintsOf(analyzer.analyse(URI, '/w/model.py', broken, 2, true), broken, 0, 30), []);
    // Fixed again: the file's own count, with its run lenses.
    assert.deepEqual(titles(analyzer, MODEL, 3), before);
  });
});
