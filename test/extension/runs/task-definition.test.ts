import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseTaskDefinition, taskName, type TaskContext } from '../../../src/extension/runs/task-definition';
import { parseAttacks, parseEps } from '../../../src/extension/runs/run-request';
import type { EvalRunOptions } from '../../../src/engine/run/execute-eval';
import type { TrainRunOptions } from '../../../src/engine/run/execute-train';
import { parseEngineRequest } from '../../../src/engine/protocol';
import { AUTOATTACK_VERSIONS } from '../../../src/engine/attacks/version-names';
import { repoPath } from '../../helpers/paths';

const ws = path.resolve('/work/space');
const context: TaskContext = {
  workspace: ws,
  defaultData: 'mnist',
  backend: 'auto',
  evalSamples: 1000,
  trainEpochs: 10,
};

function parsedOk(definition: Record<string, unknown>, ctx = context) {
  const parsed = parseTaskDefinition({ type: 'robustness-lens', ...definition }, ctx);
  assert.ok(parsed.ok, parsed.ok ? '' : parsed.error);
  return parsed.value;
}

function error(definition: Record<string, unknown>): string {
  const parsed = parseTaskDefinition({ type: 'robustness-lens', ...definition }, context);
  assert.ok(!parsed.ok, 'expected a refusal');
  return parsed.error;
}

describe('robustness-lens task definitions (tasks.json)', () => {
  it('an eval with only command and model takes the CLI defaults: AutoAttack, eps 0.3 on MNIST, 1000 images', () => {
    const request = parsedOk({ command: 'eval', model: 'examples/mnist-small.arch.yaml' });
    assert.equal(request.kind, 'eval');
    const o = request.options as EvalRunOptions;
    assert.deepEqual(o, {
      modelFile: path.join(ws, 'examples/mnist-small.arch.yaml'),
      data: 'mnist',
      workspace: ws,
      threat: { norm: 'Linf', eps: 0.3 },
      attacks: ['apgd-ce', 'apgd-t', 'fab-t', 'square'],
      samples: 1000,
      batchSize: 100,
      seed: 0,
    });
    assert.equal(taskName(request), 'eval mnist-small.arch.yaml');
    // What the worker accepts: the same validator it runs on every request.
    assert.ok(parseEngineRequest({ id: 1, type: 'eval', options: o }));
  });

  it('reads every eval option; a data folder and weights are relative to the workspace folder', () => {
    const o = parsedOk({
      command: 'eval',
      model: 'm.arch.yaml',
      data: 'data/cifar-10-batches-bin',
      eps: '8/255',
      norm: 'L2',
      attacks: 'fgsm, PGD',
      n: 50,
      batchSize: 25,
      pgdSteps: 7,
      seed: 3,
      backend: 'wasm',
      modelName: 'Small',
      weights: '/abs/run',
    }).options as EvalRunOptions;
    assert.equal(o.data, path.join(ws, 'data/cifar-10-batches-bin'));
    assert.deepEqual(o.threat, { norm: 'L2', eps: 8 / 255 });
    assert.deepEqual(o.attacks, ['fgsm', 'pgd']);
    assert.deepEqual(
      [o.samples, o.batchSize, o.pgdSteps, o.seed, o.backend, o.modelName, o.weights],
      [50, 25, 7, 3, 'wasm', 'Small', '/abs/run'],
    );
    assert.deepEqual(
      (parsedOk({ command: 'eval', model: 'm.arch.yaml', attacks: ['apgd-t', 'square'] }).options as EvalRunOptions)
        .attacks,
      ['apgd-t', 'square'],
    );
  });

  it("an eval of a training run's weights needs no model file", () => {
    const o = parsedOk({ command: 'eval', weights: '.robustness-lens/runs/20261125-100000-train-abcdef' })
      .options as EvalRunOptions;
    assert.equal(o.modelFile, undefined);
    assert.equal(o.weights, path.join(ws, '.robustness-lens/runs/20261125-100000-train-abcdef'));
    assert.ok(parseEngineRequest({ id: 1, type: 'eval', options: o }));
  });

  it('the settings give the defaults a task leaves out', () => {
    const o = parsedOk(
      { command: 'eval', model: 'm.arch.yaml' },
      { ...context, defaultData: 'digits', defaultEps: '0.1', backend: 'cpu', evalSamples: 64 },
    ).options as EvalRunOptions;
    assert.deepEqual([o.data, o.threat.eps, o.backend, o.samples], [path.join(ws, 'digits'), 0.1, 'cpu', 64]);
    const cifar = parsedOk({ command: 'eval', model: 'm.arch.yaml', data: '/data/cifar' }).options as EvalRunOptions;
    assert.equal(cifar.threat.eps, 8 / 255, 'eps follows the data set when nothing sets it');
  });

  it('a train task maps its options onto the training config', () => {
    const request = parsedOk({
      command: 'train',
      model: 'm.arch.yaml',
      eps: 0.1,
      epochs: 3,
      method: 'fast',
      schedule: 'cyclic',
      lr: 0.2,
      attackSteps: 7,
      epsRamp: 2,
      trainSamples: 1024,
      evalSamples: 200,
      batchSize: 64,
      seed: 1,
    });
    assert.equal(request.kind, 'train');
    const o = request.options as TrainRunOptions;
    assert.deepEqual(o.config, {
      threat: { norm: 'Linf', eps: 0.1 },
      method: 'fast',
      schedule: 'cyclic',
      epochs: 3,
      batchSize: 64,
      attackSteps: 7,
      learningRate: 0.2,
      epsRampEpochs: 2,
      trainSamples: 1024,
      evalSamples: 200,
      seed: 1,
    });
    assert.ok(parseEngineRequest({ id: 1, type: 'train', options: o }));
    assert.equal(
      (parsedOk({ command: 'train', model: 'm.arch.yaml' }).options as TrainRunOptions).config.epochs,
      10,
      'epochs from the settings',
    );
  });

  it('refuses what it cannot run, naming every wrong field', () => {
    assert.match(error({ model: 'm.arch.yaml' }), /"command" is required/);
    assert.match(error({ command: 'predict', model: 'm.arch.yaml' }), /"command" must be one of train, eval/);
    assert.match(error({ command: 'eval' }), /"model" is required/);
    assert.match(error({ command: 'train', weights: 'run' }), /"model" is required/);
    assert.match(error({ command: 'eval', model: 'm.arch.yaml', eps: 3 }), /eps must be in \(0, 1\]/);
    assert.match(error({ command: 'eval', model: 'm.arch.yaml', eps: '8/2x' }), /eps must be a radius/);
    assert.match(error({ command: 'eval', model: 'm.arch.yaml', attacks: 'pgd,cw' }), /unknown attack "cw"/);
    assert.match(error({ command: 'eval', model: 'm.arch.yaml', attacks: [] }), /attacks is empty/);
    assert.match(error({ command: 'eval', model: 'm.arch.yaml', n: 0 }), /"n" must be an integer of at least 1/);
    assert.match(error({ command: 'train', model: 'm.arch.yaml', epochs: 2.5 }), /"epochs" must be an integer/);
    assert.match(
      error({ command: 'train', model: 'm.arch.yaml', method: 'free' }),
      /"method" must be one of pgd, fast, trades, standard/,
    );
    assert.match(
      error({ command: 'eval', model: 42, backend: 'tpu' }),
      /"model" must be a non-empty string.*"backend" must be one of/,
    );
  });

  it("takes AutoAttack's version as the CLI's --version does: its attacks, and the version for the engine", () => {
    const plus = parsedOk({ command: 'eval', model: 'm.arch.yaml', version: 'plus' }).options as EvalRunOptions;
    assert.equal(plus.version, 'plus');
    assert.deepEqual(plus.attacks, ['apgd-ce', 'apgd-dlr', 'square', 'apgd-t', 'fab-t']);
    assert.ok(parseEngineRequest({ id: 1, type: 'eval', options: plus }));
    const rand = parsedOk({ command: 'eval', model: 'm.arch.yaml', version: 'rand' }).options as EvalRunOptions;
    assert.deepEqual([rand.version, rand.attacks], ['rand', ['apgd-ce', 'apgd-dlr']]);
    const none = parsedOk({ command: 'eval', model: 'm.arch.yaml' }).options as EvalRunOptions;
    assert.equal(none.version, undefined);
    assert.match(error({ command: 'eval', model: 'm.arch.yaml', version: 'fast' }), /"version" must be one of/);
    assert.match(
      error({ command: 'eval', model: 'm.arch.yaml', version: 'plus', attacks: 'pgd' }),
      /"version" fixes the attacks: give "version" or "attacks", not both/,
    );
  });

  it('package.json declares "version" with exactly the versions the parser takes', () => {
    const manifest = JSON.parse(fs.readFileSync(repoPath('package.json'), 'utf8')) as {
      contributes: { taskDefinitions: { type: string; properties: Record<string, { enum?: string[] }> }[] };
    };
    const task = manifest.contributes.taskDefinitions.find((t) => t.type === 'robustness-lens');
    assert.deepEqual(task?.properties.version?.enum, [...AUTOATTACK_VERSIONS]);
    for (const version of AUTOATTACK_VERSIONS) parsedOk({ command: 'eval', model: 'm.arch.yaml', version });
  });

  it('parses radii and attack lists as the CLI does', () => {
    assert.deepEqual(parseEps('8/255'), { ok: true, value: 8 / 255 });
    assert.deepEqual(parseEps(' 0.3 '), { ok: true, value: 0.3 });
    assert.equal(parseEps('0').ok, false);
    assert.equal(parseEps(null).ok, false);
    assert.deepEqual(parseAttacks('autoattack'), { ok: true, value: ['apgd-ce', 'apgd-t', 'fab-t', 'square'] });
    assert.equal(parseAttacks([1]).ok, false);
  });
});
