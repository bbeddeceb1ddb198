import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { networksOf, readModelFile, summarize, type Diagnostic } from '../../src/core';
import { usePythonParser } from '../helpers/python';

usePythonParser();

// Each pattern here once gave a wrong count printed as exact (real model code, issue 14) or
// froze or killed the reader (issue 16). What the reader cannot resolve must make the count
// unknown with a reason; what it can must stay exact.

interface Outcome {
  readonly totals: Map<string, number | string>;
  readonly diagnostics: readonly Diagnostic[];
}

function read(text: string): Outcome {
  const result = readModelFile('model.py', text);
  const totals = new Map<string, number | string>();
  for (const network of networksOf(result)) {
    const total = summarize(network).total;
    totals.set(network.name, total.known ? total.value : `unknown: ${total.reason}`);
  }
  return { totals, diagnostics: result.diagnostics };
}

/** The model's total is unknown and the reason matches. */
function assertUnknown(outcome: Outcome, name: string, reason: RegExp): void {
  const total = outcome.totals.get(name);
  assert.equal(typeof total, 'string', `${name} should be unknown, got ${String(total)}`);
  assert.match(total as string, reason);
}

/** Nothing was stated as exact: the model is unknown or not found, and a diagnostic or the total says why. */
function assertNoExactCount(outcome: Outcome, name: string, reason: RegExp): void {
  const total = outcome.totals.get(name);
  assert.notEqual(typeof total, 'number', `${name} should not be counted exactly, got ${String(total)}`);
  const said = [typeof total === 'string' ? total : '', ...outcome.diagnostics.map((d) => d.message)].join('\n');
  assert.match(said, reason);
}

const HEADER = 'import torch\nimport torch.nn as nn\n';

describe('PyTorch front end: what it cannot resolve is never a number', () => {
  it('a base class imported from another file', () => {
    const outcome = read(`${HEADER}from .base import Base

class Net(Base):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(10, 10)

def net():
    return Net()
`);
    assertNoExactCount(outcome, 'net', /Base/);
  });

  it('an instance of an imported class appended to a ModuleList', () => {
    const outcome = read(`${HEADER}from blocks import Block

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.layers = nn.ModuleList()
        self.layers.append(Block(16))
        self.fc = nn.Linear(16, 10)
`);
    assertUnknown(outcome, 'Net', /Block|ModuleList/);
  });

  it('an imported instance added by extend, insert or item assignment', () => {
    for (const line of [
      'self.layers.extend([Block(16)])',
      'self.layers.insert(0, Block(16))',
      'self.blocks["a"] = Block(16)',
    ]) {
      const outcome = read(`${HEADER}from blocks import Block

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.layers = nn.ModuleList()
        self.blocks = nn.ModuleDict()
        ${line}
        self.fc = nn.Linear(16, 10)
`);
      assertUnknown(outcome, 'Net', /Block|not statically known|not a module/);
    }
  });

  it('torch.nn.Module in a file with both `import torch` and `from torch import nn`', () => {
    const outcome = read(`import torch
from torch import nn

class Net(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(10, 10)
        self.head = torch.nn.Linear(10, 2)
`);
    assert.equal(outcome.totals.get('Net'), 110 + 22);
  });

  it('a dict key it cannot compute', () => {
    const outcome = read(`${HEADER}from config import KEY

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        d = {KEY: 1, "b": 2}
        e = {}
        e[KEY] = 3
        self.fc = nn.Linear(10, len(d))
        self.fc2 = nn.Linear(10, len(e))
`);
    assertUnknown(outcome, 'Net', /key|not statically known/);
  });

  it('a dict built from ** of something unknown', () => {
    const outcome = read(`${HEADER}from config import extra

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        d = {"a": 1, **extra}
        self.fc = nn.Linear(10, len(d))
`);
    assertUnknown(outcome, 'Net', /not statically known|unknown/);
  });

  it('negative sizes: nn.Linear(-10, 10), a conv with -3 channels', () => {
    assertUnknown(
      read(`${HEADER}
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(-10, 10)
`),
      'Net',
      /negative|-10/,
    );
    assertUnknown(
      read(`${HEADER}
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, -3, 3)
`),
      'Net',
      /negative|-3/,
    );
  });

  it('`if <unknown>: return A` followed by `return B` in a factory', () => {
    const outcome = read(`${HEADER}import os

def net():
    if os.environ.get("BIG"):
        return nn.Sequential(nn.Linear(100, 100))
    return Small()

class Small(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(10, 10)
`);
    assertNoExactCount(outcome, 'net', /BIG|not statically known/);
  });

  it('an unknown branch in a factory that changes what it builds', () => {
    const outcome = read(`${HEADER}import os

class Net(nn.Module):
    def __init__(self, layers):
        super().__init__()
        self.body = nn.Sequential(*layers)

def net():
    layers = [nn.Linear(10, 10)]
    if os.environ.get("DEEP"):
        layers.append(nn.Linear(10, 10))
    return Net(layers)
`);
    assertNoExactCount(outcome, 'net', /DEEP|not statically known/);
  });

  it('an unknown branch that only raises or warns changes nothing: the count stays exact', () => {
    const outcome = read(`${HEADER}import warnings
from config import mode

class Net(nn.Module):
    def __init__(self, width=10):
        super().__init__()
        if mode not in ("a", "b"):
            raise ValueError(mode)
        if mode == "a":
            warnings.warn("mode a")
        self.fc = nn.Linear(width, width)
`);
    assert.equal(outcome.totals.get('Net'), 110);
  });

  it('nn.Sequential(OrderedDict(<generator it cannot follow>))', () => {
    const outcome = read(`${HEADER}from collections import OrderedDict
from config import names

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(OrderedDict((n, nn.Linear(4, 4)) for n in names))
        self.fc = nn.Linear(4, 2)
`);
    assertUnknown(outcome, 'Net', /not statically known|unknown/);
  });

  it('nn.Sequential(OrderedDict(<generator it can follow>)) is exact', () => {
    const outcome = read(`${HEADER}from collections import OrderedDict

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(OrderedDict((f"fc{i}", nn.Linear(4, 4)) for i in range(3)))
`);
    assert.equal(outcome.totals.get('Net'), 3 * 20);
  });

  it('an imported module held in a ModuleList built from an unknown list', () => {
    const outcome = read(`${HEADER}from blocks import make

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.blocks = nn.ModuleList(make(3))
        self.fc = nn.Linear(4, 2)
`);
    assertUnknown(outcome, 'Net', /make|not statically known|unknown/);
  });

  it('a module attribute set from a conditional it cannot decide', () => {
    const outcome = read(`${HEADER}from config import big

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(100, 100) if big else nn.Linear(10, 10)
`);
    assertUnknown(outcome, 'Net', /big|not statically known/);
  });

  it('nn.Parameter of a known shape counts its elements; of an unknown one, the count is unknown', () => {
    assert.equal(
      read(`${HEADER}
class Net(nn.Module):
    def __init__(self, dim=4):
        super().__init__()
        self.token = nn.Parameter(torch.zeros(1, 3, dim))
        self.scale = nn.Parameter(torch.ones(dim, 1, 1) * 1e-6)
        self.fc = nn.Linear(dim, 2)
`).totals.get('Net'),
      12 + 4 + 10,
    );
    assertUnknown(
      read(`${HEADER}from config import weights

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.w = nn.Parameter(weights)
`),
      'Net',
      /Parameter/,
    );
  });

  it('a class deriving from a torch layer keeps its weights; from a torch class not built here, unknown', () => {
    assert.equal(
      read(`${HEADER}from functools import partial

class LayerNorm2d(nn.LayerNorm):
    def forward(self, x):
        return x

class Norm(nn.BatchNorm2d):
    def __init__(self, channels):
        super().__init__(channels)

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        norm = partial(LayerNorm2d, eps=1e-6)
        self.a = norm(8)
        self.b = Norm(4)
`).totals.get('Net'),
      16 + 8,
    );
    // nn.LSTM(8, 2): weight_ih 8 x 8, weight_hh 8 x 2, two biases of 8.
    assert.equal(
      read(`${HEADER}
class Recurrent(nn.LSTM):
    pass

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.rnn = Recurrent(8, 2)
`).totals.get('Net'),
      64 + 16 + 16,
    );
    assertUnknown(
      read(`${HEADER}
class Head(nn.AdaptiveLogSoftmaxWithLoss):
    pass

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.head = Head(8, 10, [4])
`),
      'Net',
      /AdaptiveLogSoftmaxWithLoss|not statically known/,
    );
  });

  it('totals past 2^53 are not printed as exact numbers', () => {
    const outcome = read(`${HEADER}
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = nn.Linear(2 ** 27, 2 ** 27)
`);
    const total = outcome.totals.get('Net');
    // 2^54 + 2^27 is not a double: an exact figure would be wrong.
    assert.ok(
      typeof total === 'string' || (typeof total === 'number' && Number.isSafeInteger(total)),
      `got ${String(total)}`,
    );
    assert.notEqual(total, 2 ** 54 + 2 ** 27);
  });

  it('a sum of layers past 2^53 is not printed as an exact number', () => {
    const outcome = read(`${HEADER}
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.layers = nn.ModuleList([nn.Linear(2 ** 24, 2 ** 24, bias=False) for _ in range(600)])
        self.fc = nn.Linear(1, 1)
`);
    const total = outcome.totals.get('Net');
    assert.ok(
      typeof total === 'string' || (typeof total === 'number' && Number.isSafeInteger(total)),
      `got ${String(total)}`,
    );
  });

  it('integers past 2^53 in the model code are not used as exact sizes', () => {
    const outcome = read(`${HEADER}
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        width = 2 ** 60 // 2 ** 57
        self.fc = nn.Linear((2 ** 60 + 1) - 2 ** 60, width)
`);
    assertUnknown(outcome, 'Net', /2\^53|exact/);
  });
});

describe('PyTorch front end: budgets (a small file cannot freeze or kill the reader)', () => {
  const within = (label: string, text: string, reason: RegExp): void => {
    it(label, () => {
      const started = Date.now();
      const outcome = read(text);
      const elapsed = Date.now() - started;
      assert.ok(elapsed < 20_000, `took ${elapsed} ms`);
      const said = [...outcome.totals.values()]
        .filter((t): t is string => typeof t === 'string')
        .concat(outcome.diagnostics.map((d) => d.message))
        .join('\n');
      assert.match(said, reason);
      assert.ok(
        ![...outcome.totals.values()].some((t) => typeof t === 'number' && t > 1000),
        'no exact count from a runaway file',
      );
      // Where it happened: a diagnostic with a line past the header.
      assert.ok(
        outcome.diagnostics.some((d) => d.range.start.line >= 2),
        JSON.stringify(outcome.diagnostics),
      );
    });
  };

  within('`l = l + l` 64 times', `${HEADER}l = [1]\n${'l = l + l\n'.repeat(64)}`, /too (long|large|many)|items/);
  within(
    'list multiplication by a huge number',
    `${HEADER}l = [1] * 10000\n${'l = l * 10000\n'.repeat(8)}`,
    /too (long|large|many)|items/,
  );
  within('string doubling', `${HEADER}s = "ab"\n${'s = s + s\n'.repeat(64)}`, /too (long|large|many)|characters/);
  within('string multiplication', `${HEADER}s = "ab" * 1000000000\n`, /too (long|large|many)|characters/);
  within(
    'tuple doubling in a factory',
    `${HEADER}
def net():
    t = (1,)
    for _ in range(64):
        t = t + t
    return nn.Linear(len(t), 2)
`,
    /too (long|large|many)|items/,
  );
  within(
    'a loop that never ends',
    `${HEADER}
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        n = 0
        for i in range(10 ** 15):
            n += i
        self.fc = nn.Linear(n, 2)
`,
    /too long|too many/,
  );
});
