/**
 * The CLI round trip: a run's weights exported to .pt and .safetensors evaluate exactly as the
 * run itself does, PyTorch loads the export strictly, and training starts from a .pt file.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { readModelFile } from '../../../src/core';
import type { RunSummary } from '../../../src/engine/run/run-messages';
import { networkJson } from '../../../src/engine/pytorch/network-json';
import { readCheckpoint } from '../../../src/engine/train/checkpoint';
import { readStateDictFile } from '../../../src/engine/weights/state-dict';
import { torchStateDictFile } from '../../../src/engine/weights/torch-writer';
import { cliAsync } from '../../helpers/cli';
import { repoPath } from '../../helpers/paths';
import { NO_TORCH, PYTHON, tempDir, torchScript } from './torch-support';

const MODEL = repoPath('examples', 'mnist-small.arch.yaml');
const workspace = tempDir();
after(() => fs.rmSync(workspace, { recursive: true, force: true }));
// The digits the build bundles (in-process, 'mnist' would look beside this test's bundle).
const DIGITS = repoPath('dist-test', 'data', 'mnist-bundled');
const common = ['--backend', 'cpu', '--data', DIGITS, '--workspace', workspace, '--json'];
const trainFlags = [
  '--epochs',
  '1',
  '--train-samples',
  '64',
  '--eval-samples',
  '16',
  '--batch-size',
  '32',
  '--method',
  'standard',
];

async function run(...argv: string[]): Promise<RunSummary> {
  const result = await cliAsync(...argv);
  assert.equal(result.code, 0, result.stderr);
  return JSON.parse(result.stdout) as RunSummary;
}

describe('export, eval --weights x.pt and train --init-weights', () => {
  let trained: RunSummary;
  before(async () => {
    trained = await run('train', MODEL, ...trainFlags, ...common);
  });

  it('exports a run as .pt and .safetensors that evaluate exactly as the run does', async () => {
    for (const format of ['pt', 'safetensors']) {
      const out = await cliAsync('export', trained.runDir, '--format', format);
      assert.equal(out.code, 0, out.stderr);
      assert.match(out.stdout, new RegExp(`wrote \\d+ tensors of MNIST-small to .*weights\\.${format}`));
    }
    const flags = ['--attacks', 'fgsm', '--n', '40', '--batch-size', '20', ...common];
    const fromRun = await run('eval', '--weights', trained.runDir, ...flags);
    for (const file of ['weights.pt', 'weights.safetensors']) {
      const fromFile = await run('eval', MODEL, '--weights', path.join(trained.runDir, file), ...flags);
      assert.deepEqual(fromFile.evaluation?.perSample, fromRun.evaluation?.perSample, file);
      const env = fs.readFileSync(path.join(fromFile.runDir, 'environment.json'), 'utf8');
      assert.ok(env.includes(`PyTorch weights from ${path.join(trained.runDir, file)}`));
      assert.ok(!env.includes('random initial weights'));
    }
  });

  it('gives PyTorch a state dict IrModel loads with strict=True', { skip: NO_TORCH }, () => {
    const network = readModelFile(MODEL, fs.readFileSync(MODEL, 'utf8')).network;
    assert.ok(network);
    const base = path.join(workspace, 'strict');
    const spec = {
      network: networkJson(network),
      file: path.join(trained.runDir, 'weights.pt'),
      input: [2, 28, 28, 1],
      inputFile: `${base}.bin`,
      logitsFile: `${base}.json`,
    };
    fs.writeFileSync(spec.inputFile, new Uint8Array(new Float32Array(2 * 28 * 28).fill(0.5).buffer));
    fs.writeFileSync(`${base}.spec.json`, JSON.stringify(spec));
    torchScript('read', `${base}.spec.json`);
    const logits = JSON.parse(fs.readFileSync(spec.logitsFile, 'utf8')) as number[];
    assert.equal(logits.length, 20);
    assert.ok(logits.every(Number.isFinite));
  });

  it("fine-tunes from a .pt file: with a zero learning rate the weights stay the file's", async () => {
    const init = path.join(trained.runDir, 'weights.pt');
    const tuned = await run('train', MODEL, '--init-weights', init, '--lr', '0', ...trainFlags, ...common);
    type Config = { model: { initWeights: string } };
    const config = JSON.parse(fs.readFileSync(path.join(tuned.runDir, 'config.json'), 'utf8')) as Config;
    assert.equal(config.model.initWeights, init);
    const before = readCheckpoint(path.join(trained.runDir, 'checkpoint.rlck')).state;
    const afterTuning = readCheckpoint(path.join(tuned.runDir, 'checkpoint.rlck')).state;
    const weights = [...before.tensors.keys()].filter((k) => k.endsWith('.weight') && !k.startsWith('momentum:'));
    assert.ok(weights.length > 5);
    for (const name of weights) {
      assert.deepEqual(afterTuning.tensors.get(name)?.data, before.tensors.get(name)?.data, name);
    }
  });

  it('puts no normalisation before a checkpoint without mean/std buffers, as PyTorch, unless --normalize', async () => {
    // Without the buffers the export is what a user's checkpoint of a model that normalises
    // outside itself looks like; with MNIST's statistics in them, one that normalises inside.
    const tensors = readStateDictFile(path.join(trained.runDir, 'weights.pt')).tensors;
    const mean = tensors.get('mean');
    const std = tensors.get('std');
    assert.ok(mean && std && tensors.delete('mean') && tensors.delete('std'));
    const bare = path.join(workspace, 'bare.pt');
    fs.writeFileSync(bare, torchStateDictFile(tensors));
    tensors.set('mean', { ...mean, data: Float32Array.of(0.1307) });
    tensors.set('std', { ...std, data: Float32Array.of(0.3081) });
    const inside = path.join(workspace, 'inside.pt');
    fs.writeFileSync(inside, torchStateDictFile(tensors));
    const flags = ['--attacks', 'fgsm', '--n', '40', '--batch-size', '20', ...common];
    type Config = { model: { normalization: { mean: number[]; std: number[] } | null } };
    const configOf = (r: RunSummary): Config =>
      JSON.parse(fs.readFileSync(path.join(r.runDir, 'config.json'), 'utf8')) as Config;
    const mnist = { mean: [0.1307], std: [0.3081] };

    const raw = await run('eval', MODEL, '--weights', bare, ...flags);
    assert.equal(configOf(raw).model.normalization, null);
    const env = fs.readFileSync(path.join(raw.runDir, 'environment.json'), 'utf8');
    assert.match(env, /inputs reach the model as \[0,1\] pixels: bare\.pt has no mean\/std buffers/);

    const asked = await run('eval', MODEL, '--weights', bare, '--normalize', 'mnist', ...flags);
    const own = await run('eval', MODEL, '--weights', inside, ...flags);
    assert.deepEqual(configOf(asked).model.normalization, mnist);
    assert.equal(
      JSON.stringify(configOf(own).model.normalization),
      JSON.stringify(mnist).replace(/0\.\d+/g, (v) => String(Math.fround(Number(v)))),
    );
    assert.deepEqual(asked.evaluation?.perSample, own.evaluation?.perSample);

    if (!NO_TORCH) {
      const onTorch = flags.map((f) => (f === 'cpu' ? 'torch' : f));
      const torchRaw = await run('eval', MODEL, '--weights', bare, '--python', PYTHON, ...onTorch);
      // It loads (the IR's mean/std are optional, as here) and predicts alike. Clean flags only: FGSM's
      // sign() may flip on a near-zero gradient between the two back ends.
      assert.deepEqual(torchRaw.evaluation?.perSample.clean, raw.evaluation?.perSample.clean);
    }

    const modelJson = repoPath('examples', 'tfjs', 'mnist-small', 'model.json');
    const nowhere = await cliAsync('eval', modelJson, '--normalize', 'mnist', ...flags);
    assert.equal(nowhere.code, 1, nowhere.stderr);
    assert.match(nowhere.stderr, /--normalize applies to models the engine builds, not a TF\.js model\.json/);

    const twice = await cliAsync('eval', MODEL, '--weights', inside, '--normalize', 'mnist', ...flags);
    assert.equal(twice.code, 1, twice.stderr);
    assert.match(twice.stderr, /inside\.pt carries its own input normalisation \(mean 0\.1307.*leave it out/);
  });

  it('says which tensors do not fit when the weights belong to another model', async () => {
    const other = path.join(workspace, 'other.arch.yaml');
    fs.writeFileSync(other, fs.readFileSync(MODEL, 'utf8').replace('width: 64', 'width: 48'));
    const weights = path.join(trained.runDir, 'weights.pt');
    const out = await cliAsync('eval', other, '--weights', weights, '--attacks', 'fgsm', '--n', '10', ...common);
    assert.equal(out.code, 1);
    assert.match(out.stderr, /robustness-lens eval: weights\.pt does not fit MNIST-small: .*21 of the wrong shape: /);
    assert.match(out.stderr, /blocks\.1\.branch\.0\.weight is \[32, 32, 1, 1\] in the file, \[24, 32, 1, 1\] in the/);
    assert.match(out.stderr, /, and 9 more; names were compared/);
  });
});
