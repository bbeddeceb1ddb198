import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import {
  applyEdits,
  lintReadResult,
  networksOf,
  PythonReadMemo,
  readModelFile,
  summarize,
  type ReadResult,
} from '../../src/core';
import { Random } from '../../src/engine/util/random';
import { repoPath } from '../helpers/paths';
import { usePythonParser } from '../helpers/python';

usePythonParser();

/** What a person sees of a read: models, counts, per-layer rows, every diagnostic and quick fix. */
function seen(read: ReadResult, text: string): unknown {
  const networks = networksOf(read);
  const view = {
    networks,
    summaries: networks.map((n) => ({ ...summarize(n), network: n.name })),
    diagnostics: lintReadResult(read, text),
    // Quick fixes are computed from the model's editor: they must point at the current text.
    fixes: networks.map((n) => n.editor?.setBlockActivation(1, 'silu')),
  };
  return JSON.parse(JSON.stringify(view, (key, value: unknown) => (key === 'editor' ? undefined : value))) as unknown;
}

function incrementalMatchesCold(memo: PythonReadMemo, file: string, text: string): void {
  const incremental = readModelFile(file, text, { memo });
  const cold = readModelFile(file, text);
  assert.deepEqual(seen(incremental, text), seen(cold, text));
}

type Edit = (text: string, random: Random) => string;

function at(text: string, random: Random, pattern: RegExp): number | undefined {
  const hits = [...text.matchAll(pattern)].map((m) => m.index);
  return hits.length === 0 ? undefined : hits[Math.floor(random.next() * hits.length)];
}

// The edits a person makes while typing, at random places.
const EDITS: Record<string, Edit> = {
  'a character in a comment': (t, r) => {
    const i = at(t, r, /# [^\n]*/g);
    return i === undefined ? t : `${t.slice(0, i + 2)}x${t.slice(i + 2)}`;
  },
  'a new line': (t, r) => {
    const i = at(t, r, /\n/g);
    return i === undefined ? t : `${t.slice(0, i)}\n${t.slice(i)}`;
  },
  'a line removed': (t, r) => {
    const i = at(t, r, /\n\n/g);
    return i === undefined ? t : t.slice(0, i) + t.slice(i + 1);
  },
  'a digit changed': (t, r) => {
    const i = at(t, r, /\d/g);
    return i === undefined ? t : `${t.slice(0, i)}${(Number(t[i]) + 1) % 10}${t.slice(i + 1)}`;
  },
  'a character typed into code': (t, r) => {
    const i = at(t, r, /[a-z]\(/g);
    return i === undefined ? t : `${t.slice(0, i + 1)}q${t.slice(i + 1)}`;
  },
  'an indented line': (t, r) => {
    const i = at(t, r, /\n {8}/g);
    return i === undefined ? t : `${t.slice(0, i + 1)}        pass\n${t.slice(i + 1)}`;
  },
};

const TORCHVISION = '/usr/lib/python3/dist-packages/torchvision/models';
const FILES = [
  repoPath('examples/pytorch/resnet.py'),
  repoPath('examples/pytorch/robarch_s.py'),
  ...['resnet.py', 'densenet.py', 'vgg.py'].map((f) => `${TORCHVISION}/${f}`).filter((f) => fs.existsSync(f)),
];

describe("PyTorch re-reads after an edit (the language server's memo)", () => {
  for (const file of FILES) {
    it(`gives exactly what a fresh read gives, over 60 random edits of ${file.split('/').slice(-2).join('/')}`, () => {
      const random = new Random(7);
      const memo = new PythonReadMemo();
      let text = fs.readFileSync(file, 'utf8');
      try {
        incrementalMatchesCold(memo, file, text);
        const kinds = Object.values(EDITS);
        let reused = 0;
        for (let i = 0; i < 60; i++) {
          const edit = kinds[i % kinds.length] as Edit;
          text = edit(text, random);
          incrementalMatchesCold(memo, file, text);
          reused += memo.stats.reused;
        }
        assert.ok(reused > 0, 'some models were reused, so the comparison tested the memo');
      } finally {
        memo.dispose();
      }
    });
  }

  it('reuses every model after a keystroke in the docstring, and re-reads only the models a class edit touches', () => {
    const file = repoPath('examples/pytorch/resnet.py');
    const text = fs.readFileSync(file, 'utf8');
    const memo = new PythonReadMemo();
    readModelFile(file, text, { memo });
    readModelFile(file, text.replace('written the way', 'written xthe way'), { memo });
    assert.deepEqual(memo.stats, { reused: 2, evaluated: 0 }, 'typing in the module docstring');
    // Bottleneck is in resnet50 only.
    const wider = text.replace(
      'self.bn3 = nn.BatchNorm2d(planes * self.expansion)',
      'self.bn3 = nn.BatchNorm2d(planes * self.expansion)  # same',
    );
    assert.notEqual(wider, text);
    const read = readModelFile(file, wider, { memo });
    assert.deepEqual(memo.stats, { reused: 1, evaluated: 1 });
    assert.deepEqual(
      networksOf(read).map((n) => n.name),
      ['resnet18', 'resnet50'],
    );
    memo.dispose();
  });

  it('sees a class reached through a module-level table change (no stale reuse)', () => {
    const source = [
      'import torch.nn as nn',
      'class Tiny(nn.Module):',
      '    def __init__(self):',
      '        super().__init__()',
      '        self.fc = nn.Linear(4, 2)',
      'MODELS = {"tiny": Tiny}',
      'def build():',
      '    return MODELS["tiny"]()',
    ].join('\n');
    const memo = new PythonReadMemo();
    const before = networksOf(readModelFile('registry.py', source, { memo }));
    assert.equal(summarize(before[0]!).knownParams, 10);
    const after = networksOf(
      readModelFile('registry.py', source.replace('nn.Linear(4, 2)', 'nn.Linear(8, 2)'), { memo }),
    );
    assert.equal(summarize(after[0]!).knownParams, 18);
    memo.dispose();
  });

  it('finds the models a factory or class selects by name again when its table or its code changes', () => {
    const source = [
      'import torch.nn as nn',
      'CONFIGS = {"small": 4, "large": 8}',
      'class Net(nn.Module):',
      '    def __init__(self, width):',
      '        super().__init__()',
      '        self.fc = nn.Linear(width, 2)',
      'class Picked(nn.Module):',
      '    def __init__(self, variant):',
      '        super().__init__()',
      '        self.fc = nn.Linear({"a": 3}[variant], 2)',
      'def get_model(name):',
      '    return Net(CONFIGS[name])',
    ].join('\n');
    const models = (text: string, memo?: PythonReadMemo): [string, number][] =>
      networksOf(readModelFile('select.py', text, memo ? { memo } : {})).map((n) => [n.name, summarize(n).knownParams]);
    const memo = new PythonReadMemo();
    try {
      const before: [string, number][] = [
        ["get_model('small')", 10],
        ["get_model('large')", 18],
        ["Picked('a')", 8],
      ];
      assert.deepEqual(models(source, memo), before);
      // A keystroke elsewhere keeps them; a new key in the module-level table, or a new literal, adds a model.
      assert.deepEqual(models(`# note\n${source}`, memo), before);
      const wider = source.replace('"large": 8}', '"large": 8, "huge": 16}');
      assert.deepEqual(models(wider, memo), [...before.slice(0, 2), ["get_model('huge')", 34], before[2]]);
      const picked = wider.replace('{"a": 3}', '{"a": 3, "b": 5}');
      assert.deepEqual(models(picked, memo), models(picked));
      assert.ok(models(picked, memo).some(([name]) => name === "Picked('b')"));
    } finally {
      memo.dispose();
    }
  });

  it('notices a name that comes to be defined (a class renamed to what a factory calls)', () => {
    const source = [
      'import torch.nn as nn',
      'class Nett(nn.Module):',
      '    def __init__(self, width):',
      '        super().__init__()',
      '        self.fc = nn.Linear(width, 2)',
      'def build():',
      '    return Net(4)',
    ].join('\n');
    const memo = new PythonReadMemo();
    assert.equal(networksOf(readModelFile('rename.py', source, { memo })).length, 0);
    const fixed = networksOf(readModelFile('rename.py', source.replace('class Nett', 'class Net'), { memo }));
    assert.deepEqual(
      fixed.map((n) => summarize(n).knownParams),
      [10],
    );
    memo.dispose();
  });

  it('applies a quick fix from a model reused at moved lines to the right line', () => {
    const file = repoPath('examples/pytorch/resnet.py');
    const text = fs.readFileSync(file, 'utf8');
    const memo = new PythonReadMemo();
    readModelFile(file, text, { memo });
    const moved = `# a new first line\n${text}`;
    const read = readModelFile(file, moved, { memo });
    assert.equal(memo.stats.reused, 2);
    const fix = lintReadResult(read, moved).find((d) => d.code === 'RA011')?.fix;
    assert.ok(fix, 'RA011 offers its fix');
    const fixed = applyEdits(moved, fix.edits);
    const fresh = lintReadResult(readModelFile(file, text), text).find((d) => d.code === 'RA011');
    assert.equal(fixed, `# a new first line\n${applyEdits(text, fresh?.fix?.edits ?? [])}`);
    memo.dispose();
  });
});
