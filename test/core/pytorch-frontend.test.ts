import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import { countWithPyTorch, residualAdds } from '../../src/engine/pytorch/exact-count';
import {
  applyEdits,
  known,
  lintNetwork,
  networksOf,
  readModelFile,
  summarize,
  valueOf,
  type Network,
} from '../../src/core';
import { repoPath } from '../helpers/paths';
import { usePythonParser } from '../helpers/python';
import { codesOf, lintFile } from '../helpers/lint';

usePythonParser();

function networks(relative: string): Map<string, Network> {
  const read = readModelFile(relative, fs.readFileSync(repoPath(relative), 'utf8'));
  assert.deepEqual(
    read.diagnostics.filter((d) => d.severity === 'error'),
    [],
  );
  return new Map(networksOf(read).map((n) => [n.name, n]));
}

function total(network: Network | undefined): number | undefined {
  const t = network ? summarize(network).total : undefined;
  return t?.known ? t.value : undefined;
}

// PyTorch's own counts for these architectures (torchvision and RobArch's released models).
const EXPECTED: [string, string, number][] = [
  ['examples/pytorch/resnet.py', 'resnet18', 11_689_512],
  ['examples/pytorch/resnet.py', 'resnet50', 25_557_032],
  ['examples/pytorch/robarch_s.py', 'RobArchS', 26_143_228],
];

describe('PyTorch front end, static', () => {
  for (const [file, name, count] of EXPECTED) {
    it(`counts ${name} in ${file} exactly: ${count.toLocaleString('en-US')}`, () => {
      assert.equal(total(networks(file).get(name)), count);
    });
  }

  it('finds every model of a file and only models (factories, not their blocks)', () => {
    assert.deepEqual([...networks('examples/pytorch/resnet.py').keys()], ['resnet18', 'resnet50']);
    assert.deepEqual([...networks('examples/pytorch/robarch_s.py').keys()], ['RobArchS']);
  });

  it('recognises stages and block facts from the code and its forward()', () => {
    const resnet50 = networks('examples/pytorch/resnet.py').get('resnet50');
    assert.ok(resnet50);
    assert.deepEqual(resnet50.facts.depths, known([3, 4, 6, 3]));
    assert.deepEqual(resnet50.facts.widths, known([256, 512, 1024, 2048]));
    assert.deepEqual(resnet50.stem.facts.maxPool, known(true));
    const block = resnet50.stages[0]?.blocks[0];
    assert.deepEqual(block?.facts.norms, known(['batch', 'batch', 'batch']));
    assert.deepEqual(block?.facts.activations, known(['relu', 'relu', 'relu']));
    assert.deepEqual(block?.facts.shortcut, known('projection'));
    assert.deepEqual(block?.layers.map((l) => l.name).slice(0, 4), [
      'layer1.0.conv1',
      'layer1.0.bn1',
      'layer1.0.relu',
      'layer1.0.conv2',
    ]);

    const robarch = networks('examples/pytorch/robarch_s.py').get('RobArchS');
    assert.ok(robarch);
    assert.deepEqual(robarch.facts.depths, known([5, 8, 13, 1]));
    assert.deepEqual(robarch.facts.groups, known([2, 2, 2, 2]));
    const first = robarch.stages[0]?.blocks[0];
    assert.deepEqual(first?.facts.norms, known([null, 'batch', 'batch']));
    assert.deepEqual(first?.facts.activations, known(['silu', 'silu', 'silu']));
    assert.equal(first?.facts.se.known && first.facts.se.value?.squeezeChannels, 24);
  });

  it('gives the same guideline codes as the spec forms, pointed at the Python lines', () => {
    const byName = networks('examples/pytorch/resnet.py');
    const text = fs.readFileSync(repoPath('examples/pytorch/resnet.py'), 'utf8');
    const resnet50 = byName.get('resnet50');
    assert.ok(resnet50);
    const pyCodes = codesOf(lintNetwork(resnet50, text));
    assert.deepEqual(pyCodes, codesOf(lintFile('examples/resnet50.arch.yaml')));
    const robarch = networks('examples/pytorch/robarch_s.py').get('RobArchS');
    assert.ok(robarch);
    assert.deepEqual(
      codesOf(lintNetwork(robarch, fs.readFileSync(repoPath('examples/pytorch/robarch_s.py'), 'utf8'))),
      codesOf(lintFile('examples/robarch-s.arch.yaml')),
    );

    const lines = text.split('\n');
    const lineOf = (code: string): string => {
      const d = lintNetwork(resnet50, text).find((x) => x.code === code);
      return lines[d?.range.start.line ?? -1]?.trim() ?? '';
    };
    assert.equal(lineOf('RA006'), 'self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)');
    assert.equal(lineOf('RA011'), 'self.relu = nn.ReLU(inplace=True)');
    assert.equal(lineOf('RA016'), 'self.bn1 = nn.BatchNorm2d(width)');
  });

  it('the RA011 quick fix turns nn.ReLU into nn.SiLU in the block, and RA011 is gone', () => {
    const file = 'examples/pytorch/resnet.py';
    const text = fs.readFileSync(repoPath(file), 'utf8');
    const resnet50 = networks(file).get('resnet50');
    assert.ok(resnet50);
    const fix = lintNetwork(resnet50, text).find((d) => d.code === 'RA011')?.fix;
    assert.ok(fix);
    const fixed = applyEdits(text, fix.edits);
    assert.match(fixed, /expansion: int = 4[\s\S]*self\.relu = nn\.SiLU\(inplace=True\)/);
    const after = networksOf(readModelFile(file, fixed)).find((n) => n.name === 'resnet50');
    assert.ok(after);
    assert.ok(!codesOf(lintNetwork(after, fixed)).includes('RA011'));
  });
});

describe('PyTorch front end, hard input', () => {
  const read = (text: string): ReturnType<typeof readModelFile> => readModelFile('model.py', text);

  it('a syntax error is one RL101 at its line', () => {
    const result = read(
      'import torch.nn as nn\nclass M(nn.Module):\n    def __init__(self):\n        self.c = nn.Conv2d(3, 8, 3\n',
    );
    assert.equal(result.diagnostics[0]?.code, 'RL101');
    assert.equal(result.network, undefined);
  });

  it('a value it cannot know makes the count unknown, with the reason, not a guess', () => {
    const result = read(
      'import os\nimport torch.nn as nn\nclass M(nn.Module):\n    def __init__(self):\n   ' +
        '     super().__init__()\n        self.c = nn.Conv2d(3, int(os.environ["W"]), 3)\n   ' +
        '     self.fc = nn.Linear(8, 10)\n',
    );
    const summary = summarize(result.network as Network);
    assert.equal(summary.total.known, false);
    assert.equal(summary.knownParams, 8 * 10 + 10);
  });

  it('a layer class imported from outside the file makes the count unknown; a plain helper class does not', () => {
    const result = read(
      'import torch.nn as nn\nfrom mylib import MysteryBlock\nfrom collections import ' +
        'OrderedDict\nclass M(nn.Module):\n    def __init__(self):\n        ' +
        'super().__init__()\n        self.c = nn.Conv2d(3, 16, 3)\n        self.block = ' +
        'MysteryBlock(16)\n        self.fc = nn.Linear(16, 10)\n',
    );
    const summary = summarize(result.network as Network);
    assert.equal(summary.total.known, false);
    assert.match(
      summary.total.known ? '' : summary.total.reason,
      /block is mylib\.MysteryBlock\(\.\.\.\), a class this file does not define/,
    );
    const plain = read(
      'import torch.nn as nn\nfrom collections import OrderedDict\nclass M(nn.Module):\n  ' +
        '  def __init__(self):\n        super().__init__()\n        self.cfg = ' +
        'OrderedDict(a=1)\n        self.fc = nn.Linear(16, 10)\n',
    );
    assert.deepEqual(summarize(plain.network as Network).total, known(170));
  });

  it('an endless loop or a huge range is stopped with a clear message, quickly', () => {
    const start = Date.now();
    const result = read(
      'import torch.nn as nn\nclass M(nn.Module):\n    def __init__(self):\n        ' +
        'super().__init__()\n        self.layers = nn.ModuleList([nn.Linear(2, 2) for _ in ' +
        'range(10**9)])\n',
    );
    assert.ok(Date.now() - start < 1000);
    assert.match(
      result.diagnostics.find((d) => d.code === 'RL107')?.message ?? '',
      /^M: a (range|loop) .*too long to evaluate statically/,
    );
  });

  it('a Python file without torch is not a model file', () => {
    assert.equal(read('print("hello")\n').diagnostics[0]?.code, 'RL105');
  });
});

// The exact path: Debian's python3-torch, when installed, runs the examples for real.
const TORCH_PYTHON = '/usr/bin/python3';
function torchAvailable(): boolean {
  try {
    execFileSync(TORCH_PYTHON, ['-c', 'import torch, torchvision'], { stdio: 'ignore', timeout: 60_000 });
    return true;
  } catch {
    return false;
  }
}

describe(
  'static counts equal PyTorch running the examples',
  { skip: torchAvailable() ? false : 'no python3 with torch and torchvision here' },
  () => {
    for (const file of fs.readdirSync(repoPath('examples/pytorch')).filter((f) => f.endsWith('.py'))) {
      it(`examples/pytorch/${file}`, () => {
        const found = networks(`examples/pytorch/${file}`);
        const exact = countWithPyTorch(repoPath('examples/pytorch', file), [...found.keys()], {
          python: TORCH_PYTHON,
          script: repoPath('python/inspect_model.py'),
        });
        assert.equal(exact.failure, undefined);
        for (const [name, network] of found) {
          assert.equal(total(network), exact.models[name]?.total, name);
          // Module by module, with names: what PyTorch's named_modules() reports.
          const ours = new Map(
            summarize(network)
              .rows.filter((r) => r.params.known && r.params.value > 0)
              .map((r) => [r.layer.name, r.params.known ? r.params.value : 0]),
          );
          for (const m of exact.models[name]?.modules ?? []) {
            if (m.params === 0) continue;
            const owner = [...ours.keys()].find((layer) => m.name === layer || m.name.startsWith(`${layer}.`));
            assert.ok(owner, `${name}: PyTorch module ${m.name} has no static counterpart`);
          }
          // torch.fx's forward graph: one residual addition per block the static reading found with a shortcut.
          const graph = exact.models[name]?.fx;
          assert.ok(graph && 'ops' in graph, `${name}: torch.fx traced the model`);
          const blocks = network.stages
            .flatMap((s) => s.blocks)
            .filter((b) => valueOf(b.facts.shortcut) !== undefined).length;
          assert.ok(blocks > 0);
          assert.equal(residualAdds(graph), blocks, `${name}: residual additions in the fx graph`);
          // Module calls point back at the lines that built them.
          const conv = graph.ops.find((o) => o.op === 'call_module' && o.line !== null);
          assert.ok(conv?.line, `${name}: fx module calls carry their construction line`);
        }
      });
    }
  },
);
