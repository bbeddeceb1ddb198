import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  networksOf,
  parseLintConfig,
  readModelFile,
  summarize,
  type NamedModels,
  type ReadResult,
} from '../../src/core';
import { countWithPyTorch } from '../../src/engine/pytorch/exact-count';
import { repoPath } from '../helpers/paths';
import { usePythonParser } from '../helpers/python';

usePythonParser();

// Models that come from factories taking a string, from a file's __main__ block, or that the user
// names (issue 14): RobustBench's robustarch_wide_resnet.py builds its models with
// get_model('ra_wrn101_2'), a factory comparing its parameter with string literals.

function totals(result: ReadResult): Map<string, number | string> {
  return new Map(
    networksOf(result).map((n) => {
      const total = summarize(n).total;
      return [n.name, total.known ? total.value : `unknown: ${total.reason}`];
    }),
  );
}

function read(text: string, models?: NamedModels): { totals: Map<string, number | string>; result: ReadResult } {
  const result = readModelFile('model.py', text, models ? { models } : {});
  return { totals: totals(result), result };
}

const HEADER = 'import torch\nimport torch.nn as nn\n\n';
// Linear(in, hidden) + Linear(hidden, 10): (in + 1) * hidden + (hidden + 1) * 10.
const mlp = (input: number, hidden: number): number => (input + 1) * hidden + (hidden + 1) * 10;
const NET = `class Net(nn.Module):
    def __init__(self, hidden, input=8):
        super().__init__()
        self.fc1 = nn.Linear(input, hidden)
        self.fc2 = nn.Linear(hidden, 10)

`;

const STRING_FACTORY = `${HEADER}${NET}def get_model(model_name):
    if model_name == "small":
        model = Net(16)
    elif model_name in ('wide', "wider"):
        model = Net(64 if model_name == 'wide' else 128)
    elif 'deep' == model_name:
        model = nn.Sequential(Net(32), nn.Linear(10, 10))
    else:
        raise ValueError(f"Unknown model name: {model_name}.")
    return model
`;

describe('models from factories that select them by a string', () => {
  it('gives one model per literal the parameter is compared with, named as the call', () => {
    const { totals: found } = read(STRING_FACTORY);
    assert.deepEqual(
      [...found],
      [
        ["get_model('small')", mlp(8, 16)],
        ["get_model('wide')", mlp(8, 64)],
        ["get_model('wider')", mlp(8, 128)],
      ],
    );
  });

  it('keeps a factory whose model is not a class of the file out, and says nothing wrong about it', () => {
    // get_model('deep') returns an nn.Sequential: not a user class, so not a model found by discovery.
    const { totals: found } = read(STRING_FACTORY);
    assert.equal(found.has("get_model('deep')"), false);
    // Named by the user, it is one.
    const named = read(STRING_FACTORY, { expressions: ["get_model('deep')"], from: '--model', strict: true });
    assert.deepEqual([...named.totals], [["get_model('deep')", mlp(8, 32) + 110]]);
  });

  it('reads the keys of a dict of configurations: CONFIGS[name], CONFIGS.get(name), name in CONFIGS', () => {
    const text = `${HEADER}${NET}CONFIGS = {
    'tiny': dict(hidden=4),
    'base': dict(hidden=24),
    10: dict(hidden=1),
}

def build(arch):
    cfg = CONFIGS[arch]
    return Net(**cfg)

def build_get(name, input=3):
    if name not in CONFIGS:
        raise KeyError(name)
    return Net(CONFIGS.get(name)['hidden'], input)

class Picked(nn.Module):
    WIDTHS = None

    def __init__(self, variant):
        super().__init__()
        widths = {'narrow': 2, 'broad': 6}
        self.body = nn.Linear(8, widths[variant])
`;
    const { totals: found } = read(text);
    // The integer key 10 cannot be chosen with a string: it is not a model name.
    assert.deepEqual(
      [...found],
      [
        ["build('tiny')", mlp(8, 4)],
        ["build('base')", mlp(8, 24)],
        ["build_get('tiny')", mlp(3, 4)],
        ["build_get('base')", mlp(3, 24)],
        ["Picked('narrow')", 9 * 2],
        ["Picked('broad')", 9 * 6],
      ],
    );
  });

  it('passes the literal by keyword when the selecting parameter is not the first', () => {
    const text = `${HEADER}${NET}def make(pretrained=False, size="s"):
    return Net(8 if size == "s" else 40)
`;
    // size="s" is the default: the argument-free call gives it, and no other literal selects.
    assert.deepEqual([...read(text).totals], [['make', mlp(8, 8)]]);
    const three = `${HEADER}${NET}def make(pretrained=False, size="s"):
    if size == "m":
        return Net(40)
    return Net(8)
`;
    assert.deepEqual(
      [...read(three).totals],
      [
        ['make', mlp(8, 8)],
        ["make(size='m')", mlp(8, 40)],
      ],
    );
  });

  it('says how many literals past the limit it left out, and counts the others', () => {
    const names = Array.from({ length: 40 }, (_, i) => `'m${i}'`);
    const text = `${HEADER}${NET}def get(name):
    if name in (${names.join(', ')}):
        return Net(2)
    raise ValueError(name)
`;
    const { totals: found, result } = read(text);
    assert.equal(found.size, 32);
    assert.equal(found.get("get('m0')"), mlp(8, 2));
    assert.ok(result.diagnostics.some((d) => d.code === 'RL109' && /8 more models/.test(d.message)));
  });

  it('a selected model that depends on what it cannot follow is not a number', () => {
    const text = `${HEADER}from elsewhere import make_head
${NET}def get_model(name):
    if name == 'a':
        return Net(4)
    if name == 'b':
        model = Net(4)
        model.head = make_head(10)
        return model
    raise ValueError(name)
`;
    const { totals: found } = read(text);
    assert.equal(found.get("get_model('a')"), mlp(8, 4));
    assert.match(String(found.get("get_model('b')")), /^unknown: .*make_head/);
  });
});

describe('models in the __main__ block', () => {
  it('takes calls with constant arguments as models, once each', () => {
    const text = `${HEADER}${NET}def wide(width, depth=1):
    return Net(width * depth)

if __name__ == "__main__":
    model = Net(12)
    print(model)
    for m in [wide(5), wide(5, depth=2), Net(12)]:
        print(sum(p.numel() for p in m.parameters()))
    x = torch.rand(2, 8)
    print(model(x).shape)
`;
    assert.deepEqual(
      [...read(text).totals],
      [
        ['Net(12)', mlp(8, 12)],
        ['wide(5)', mlp(8, 5)],
        ['wide(5, depth=2)', mlp(8, 10)],
      ],
    );
  });

  it('agrees with the factory literals instead of counting a model twice', () => {
    const text = `${STRING_FACTORY}
if '__main__' == __name__:
    model = get_model('small')
    model = get_model(name)
`;
    assert.deepEqual([...read(text).totals.keys()], ["get_model('small')", "get_model('wide')", "get_model('wider')"]);
  });
});

describe('models the user names', () => {
  const given = (...expressions: string[]): NamedModels => ({ expressions, from: '--model', strict: true });

  it('replaces the models found with the ones named, spelt as Python spells the call', () => {
    const { totals: found } = read(STRING_FACTORY, given('get_model( "wider" )', 'Net(3, input=2)'));
    assert.deepEqual(
      [...found],
      [
        ["get_model('wider')", mlp(8, 128)],
        ['Net(3, input=2)', mlp(2, 3)],
      ],
    );
  });

  it('calls a factory or a class named without a call', () => {
    const text = `${HEADER}${NET}def small():
    return Net(5)
`;
    assert.deepEqual([...read(text, given('small')).totals], [['small', mlp(8, 5)]]);
  });

  it(
    '--model: a name the file does not define, or an expression that gives no model, is an ' + 'error with the reason',
    () => {
      const missing = read(STRING_FACTORY, given("get_modle('small')"));
      assert.equal(networksOf(missing.result).length, 0);
      assert.ok(
        missing.result.diagnostics.some(
          (d) => d.code === 'RL114' && d.severity === 'error' && /does not define get_modle/.test(d.message),
        ),
      );
      const none = read(STRING_FACTORY, given("get_model('nope')"));
      assert.ok(none.result.diagnostics.some((d) => d.code === 'RL114' && /get_model\('nope'\)/.test(d.message)));
      const bad = read(STRING_FACTORY, given('get_model(('));
      assert.ok(bad.result.diagnostics.some((d) => d.code === 'RL114' && /not a Python expression/.test(d.message)));
    },
  );

  it("a config's models apply to the files that define them; the others keep what is found", () => {
    const project: NamedModels = { expressions: ["get_model('small')"], from: 'robustness-lens.toml', strict: false };
    assert.deepEqual([...read(STRING_FACTORY, project).totals.keys()], ["get_model('small')"]);
    const other = read(`${HEADER}${NET}def net():\n    return Net(7)\n`, project);
    assert.deepEqual([...other.totals], [['net', mlp(8, 7)]]);
    assert.equal(other.result.diagnostics.filter((d) => d.severity === 'error').length, 0);
  });

  it('robustness-lens.toml: models is a list of one-line expressions', () => {
    const parsed = parseLintConfig('robustness-lens.toml', 'models = ["get_model(\'ra_wrn70_16\')", "Net(3)"]\n');
    assert.deepEqual(parsed.config?.models, ["get_model('ra_wrn70_16')", 'Net(3)']);
    for (const bad of ['models = "get_model()"\n', 'models = [1]\n', 'models = [""]\n', 'models = ["a\\nb"]\n']) {
      const wrong = parseLintConfig('robustness-lens.toml', bad);
      assert.equal(wrong.config, undefined, bad);
      assert.match(wrong.diagnostics[0]?.message ?? '', /models must be a list/);
    }
  });
});

describe('what real model files taught (each once gave a count PyTorch does not)', () => {
  it('a float channel count (out_planes / 4) is not a size: PyTorch refuses it', () => {
    const text = `${HEADER}class Block(nn.Module):
    def __init__(self, planes=240):
        super().__init__()
        mid = planes / 4
        self.conv = nn.Conv2d(planes, mid, 1)
`;
    assert.match(String(read(text).totals.get('Block')), /^unknown: .*float/);
  });

  it('self.__setattr__(name, module) adds a child as add_module does', () => {
    const text = `${HEADER}class Tree(nn.Module):
    def __init__(self, levels=3):
        super().__init__()
        for i in range(levels):
            self.__setattr__('level_%d' % i, nn.Linear(4, 4))
`;
    assert.equal(read(text).totals.get('Tree'), 3 * 20);
  });

  it('torch.tensor of a list of numbers is a constant, not a module that might hold parameters', () => {
    const text = `${HEADER}class Normalized(nn.Module):
    def __init__(self, mean=(0.5, 0.5, 0.5)):
        super().__init__()
        self.mean = torch.tensor(mean).view(3, 1, 1)
        self.fc = nn.Linear(3, 2)
`;
    assert.equal(read(text).totals.get('Normalized'), 8);
  });
});

const TORCH_PYTHON = '/usr/bin/python3';
function torchAvailable(): boolean {
  try {
    execFileSync(TORCH_PYTHON, ['-c', 'import torch'], { stdio: 'ignore', timeout: 60_000 });
    return true;
  } catch {
    return false;
  }
}

describe(
  'models named by an expression, under PyTorch',
  { skip: !torchAvailable() && 'needs /usr/bin/python3 with torch' },
  () => {
    it("each model a string-selecting factory gives has PyTorch's count", () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rl-factories-'));
      try {
        const file = path.join(dir, 'factory.py');
        fs.writeFileSync(file, STRING_FACTORY);
        const found = networksOf(readModelFile(file, STRING_FACTORY));
        const exact = countWithPyTorch(
          file,
          found.map((n) => n.name),
          { python: TORCH_PYTHON, script: repoPath('python/inspect_model.py') },
        );
        assert.equal(exact.failure, undefined);
        assert.equal(found.length, 3);
        for (const network of found) {
          const total = summarize(network).total;
          assert.equal(total.known ? total.value : undefined, exact.models[network.name]?.total, network.name);
        }
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  },
);
