import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { autoAttackVersion } from '../../../src/engine/attacks/autoattack-versions';
import { AUTOATTACK_VERSIONS } from '../../../src/engine/attacks/version-names';
import { parseEngineRequest } from '../../../src/engine/protocol';
import { KNOWN_NORMALIZATIONS } from '../../../src/engine/tfjs/normalize-input';
import { rememberedVersion, VERSION_ATTACKS, versionOrder } from '../../../src/extension/runs/autoattack-choice';
import { evalRequest } from '../../../src/extension/runs/run-request';
import {
  checkEntry,
  entryFor,
  parseNormalization,
  torchEvalPrompt,
  torchEvalRequest,
  type TorchEvalChoices,
} from '../../../src/extension/runs/torch-eval-request';

const WORKSPACE = path.resolve('/work/project');

const choices = (over: Partial<TorchEvalChoices> = {}): TorchEvalChoices => ({
  modelFile: path.join(WORKSPACE, 'models', 'wrn.py'),
  modelName: "get_model('ra_wrn70_16')",
  workspace: WORKSPACE,
  data: 'cifar',
  eps: 8 / 255,
  attacks: ['fgsm'],
  samples: 20,
  python: '/usr/bin/python3',
  entry: "models/wrn.py:get_model('ra_wrn70_16')",
  weights: { kind: 'untrained' },
  device: 'auto',
  ...over,
});

describe('the entry of a PyTorch model the engine cannot build', () => {
  it("is the model's file relative to the workspace, then its name as the reader gives it", () => {
    const file = path.join(WORKSPACE, 'models', 'wrn.py');
    assert.equal(entryFor(file, WORKSPACE, "get_model('ra_wrn70_16')"), "models/wrn.py:get_model('ra_wrn70_16')");
    assert.equal(entryFor(file, WORKSPACE, 'resnet50'), 'models/wrn.py:resnet50');
    // Outside the workspace folder the worker gets the absolute path.
    const outside = path.resolve('/elsewhere/net.py');
    assert.equal(entryFor(outside, WORKSPACE, 'Net'), `${outside}:Net`);
  });

  it('is checked as the worker parses it', () => {
    assert.equal(checkEntry("models/wrn.py:get_model('ra_wrn70_16')"), undefined);
    assert.equal(checkEntry('pkg.models:resnet50(num_classes=10)'), undefined);
    assert.equal(checkEntry(' models/wrn.py:resnet50 '), undefined);
    for (const bad of ['models/wrn.py', 'models/wrn.txt:make()', 'wrn.py:9lives()', 'wrn.py:make(', ':make()'])
      assert.match(checkEntry(bad) ?? '', /FILE\.py:factory\(args\)/, bad);
  });
});

describe('the normalisation the model expects', () => {
  it("takes a known data set's statistics by name, or MEANS/STDS", () => {
    assert.deepEqual(parseNormalization('CIFAR10'), { ok: true, value: KNOWN_NORMALIZATIONS.cifar10 });
    assert.deepEqual(parseNormalization('0.5, 0.5,0.5/0.25,0.25,0.25'), {
      ok: true,
      value: { mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25] },
    });
  });

  it('refuses unequal lists, a zero deviation, empty values and words', () => {
    for (const bad of ['0.5,0.5/0.25', '0.5/0', '0.5,/0.2,0.2', 'imagenette', '0.5/0.2/0.1', ''])
      assert.equal(parseNormalization(bad).ok, false, bad);
  });
});

describe('the run request of an evaluation on the PyTorch of the user', () => {
  it('carries the interpreter, entry and untrained flag; the engine worker accepts it', () => {
    const request = torchEvalRequest(choices());
    assert.equal(request.kind, 'eval');
    assert.equal(request.label, "Evaluating get_model('ra_wrn70_16') on PyTorch");
    if (request.kind !== 'eval') return;
    assert.deepEqual(request.options.torch, {
      python: '/usr/bin/python3',
      entry: "models/wrn.py:get_model('ra_wrn70_16')",
      untrained: true,
    });
    assert.equal(request.options.weights, undefined);
    assert.equal(request.options.backend, undefined, 'no engine back end: the torch one runs it');
    const parsed = parseEngineRequest({ id: 1, type: 'eval', options: request.options });
    assert.deepEqual(parsed, { id: 1, type: 'eval', options: request.options });
  });

  it('a weights file, a device, a normalisation and an AutoAttack version pass through', () => {
    const normalize = { mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25] };
    const request = torchEvalRequest(
      choices({
        weights: { kind: 'file', file: '/ckpt/robarch_s.pt' },
        device: 'cuda',
        normalize,
        attacks: VERSION_ATTACKS.plus,
        version: 'plus',
      }),
    );
    if (request.kind !== 'eval') return assert.fail('an evaluation');
    assert.equal(request.options.weights, '/ckpt/robarch_s.pt');
    assert.equal(request.options.version, 'plus');
    assert.deepEqual(request.options.torch, {
      python: '/usr/bin/python3',
      entry: "models/wrn.py:get_model('ra_wrn70_16')",
      device: 'cuda',
      normalize,
    });
    assert.ok(parseEngineRequest({ id: 2, type: 'eval', options: request.options }));
    // The weights the entry loads itself: neither a file nor flagged untrained.
    const own = torchEvalRequest(choices({ weights: { kind: 'entry' } }));
    assert.ok(own.kind === 'eval' && own.options.torch && !('untrained' in own.options.torch));
  });

  it('the worker refuses a torch part it could not run', () => {
    const request = torchEvalRequest(choices());
    if (request.kind !== 'eval') return assert.fail('an evaluation');
    const torch = request.options.torch;
    for (const bad of [
      { ...torch, python: '' },
      { ...torch, device: 'tpu' },
      { ...torch, normalize: { mean: [0.5], std: [0] } },
      { ...torch, normalize: { mean: [0.5, 0.5], std: [0.2] } },
      { ...torch, untrained: 'yes' },
    ])
      assert.equal(parseEngineRequest({ id: 3, type: 'eval', options: { ...request.options, torch: bad } }), undefined);
  });

  it('the confirmation names the entry, the file it runs, the interpreter and where', () => {
    const prompt = torchEvalPrompt('models/wrn.py:resnet50', '/usr/bin/python3', 'auto');
    assert.match(
      prompt,
      /^Evaluate models\/wrn\.py:resnet50 with PyTorch\? This runs models\/wrn\.py with \/usr\/bin\/python3/,
    );
    assert.match(prompt, /on its GPU when it sees one/);
    assert.match(torchEvalPrompt('m.py:Net', 'python3', 'cpu'), /, on cpu;/);
  });
});

describe('the AutoAttack version of an evaluation', () => {
  it('lists for each version the attacks the engine runs for it', () => {
    for (const version of AUTOATTACK_VERSIONS)
      assert.deepEqual(
        VERSION_ATTACKS[version],
        autoAttackVersion(version).attacks.map((a) => a.name),
        version,
      );
  });

  it('is standard unless the workspace remembers another; the remembered one is offered first', () => {
    assert.equal(rememberedVersion(undefined), 'standard');
    assert.equal(rememberedVersion('fast'), 'standard');
    assert.equal(rememberedVersion('rand'), 'rand');
    assert.deepEqual(versionOrder('standard'), ['standard', 'plus', 'rand']);
    assert.deepEqual(versionOrder('rand'), ['rand', 'standard', 'plus']);
  });

  it("the engine's evaluation request carries the version and its attacks", () => {
    const request = evalRequest({
      modelFile: '/m.arch.yaml',
      workspace: '/w',
      data: 'mnist',
      eps: 0.3,
      attacks: VERSION_ATTACKS.rand,
      version: 'rand',
    });
    if (request.kind !== 'eval') return assert.fail('an evaluation');
    assert.equal(request.options.version, 'rand');
    assert.deepEqual(request.options.attacks, ['apgd-ce', 'apgd-dlr']);
    assert.ok(parseEngineRequest({ id: 4, type: 'eval', options: request.options }));
  });
});
