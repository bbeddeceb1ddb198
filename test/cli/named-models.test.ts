import { describe, it, before, after } from 'node:test';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import assert from 'node:assert/strict';
import type { ParamsReport } from '../../src/core';
import { cli } from '../helpers/cli';

// Linear(in, hidden) + Linear(hidden, 10).
const mlp = (input: number, hidden: number): number => (input + 1) * hidden + (hidden + 1) * 10;

const FACTORY = `import torch.nn as nn

class Net(nn.Module):
    def __init__(self, hidden, input=8):
        super().__init__()
        self.fc1 = nn.Linear(input, hidden)
        self.fc2 = nn.Linear(hidden, 10)

def get_model(name):
    if name == 'small':
        return Net(16)
    elif name == 'large':
        return Net(64)
    raise ValueError(name)
`;

const PLAIN = `import torch.nn as nn

class Single(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 2)
`;

describe('robustness-lens params and lint: models from factories and named models', () => {
  let dir = '';
  let factory = '';
  let plain = '';
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rl-named-models-'));
    factory = path.join(dir, 'factory.py');
    plain = path.join(dir, 'plain.py');
    fs.writeFileSync(factory, FACTORY);
    fs.writeFileSync(plain, PLAIN);
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  const params = (...args: string[]): ParamsReport | ParamsReport[] => {
    const result = cli('params', ...args, '--json');
    assert.equal(result.code, 0, result.stderr);
    return JSON.parse(result.stdout) as ParamsReport | ParamsReport[];
  };

  it('finds one model per literal of a factory selecting by a string', () => {
    const reports = params(factory) as ParamsReport[];
    assert.deepEqual(
      reports.map((r) => [r.name, r.total]),
      [
        ["get_model('small')", mlp(8, 16)],
        ["get_model('large')", mlp(8, 64)],
      ],
    );
  });

  it('--json is an array when there are several models, whatever the number of files', () => {
    const reports = params(factory, plain);
    assert.ok(Array.isArray(reports));
    assert.deepEqual(
      reports.map((r) => r.name),
      ["get_model('small')", "get_model('large')", 'Single'],
    );
    // One model in all: one object.
    const one = params(plain);
    assert.equal(Array.isArray(one), false);
    assert.equal((one as ParamsReport).total, 10);
  });

  it('--model counts the model named (one object), repeatable (an array)', () => {
    const one = params(factory, '--model', "get_model('large')") as ParamsReport;
    assert.deepEqual([one.name, one.total], ["get_model('large')", mlp(8, 64)]);
    const two = params(factory, '--model', 'Net(3, input=2)', '--model', 'get_model("small")') as ParamsReport[];
    assert.deepEqual(
      two.map((r) => [r.name, r.total]),
      [
        ['Net(3, input=2)', mlp(2, 3)],
        ["get_model('small')", mlp(8, 16)],
      ],
    );
  });

  it('--model naming what the file does not define fails with the reason', () => {
    const result = cli('params', factory, '--model', "make('small')");
    assert.equal(result.code, 2);
    assert.match(result.stderr, /RL114 --model make\('small'\): this file does not define make/);
  });

  it('models in robustness-lens.toml apply to params and lint in the files that define them', () => {
    const project = fs.mkdtempSync(path.join(dir, 'project-'));
    fs.writeFileSync(path.join(project, 'robustness-lens.toml'), 'models = ["get_model(\'small\')"]\n');
    fs.writeFileSync(path.join(project, 'factory.py'), FACTORY);
    fs.writeFileSync(path.join(project, 'plain.py'), PLAIN);
    const reports = params(path.join(project, 'factory.py'), path.join(project, 'plain.py')) as ParamsReport[];
    assert.deepEqual(
      reports.map((r) => [r.name, r.total]),
      [
        ["get_model('small')", mlp(8, 16)],
        ['Single', 10],
      ],
    );
    // lint reads the same models: the config's expression gives no error, a bad --model does.
    const lint = cli('lint', path.join(project, 'factory.py'), '--format', 'json');
    assert.notEqual(lint.code, 2, lint.stdout + lint.stderr);
    const wrong = cli('lint', path.join(project, 'factory.py'), '--model', 'get_model(');
    assert.equal(wrong.code, 2);
    assert.match(wrong.stderr, /RL114 .*not a Python expression/);
  });
});
