import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { known, networksOf, readModelFile, summarize, type Network } from '../../src/core';
import { repoPath } from '../helpers/paths';
import { usePythonParser } from '../helpers/python';
import { codesOf, lintFile } from '../helpers/lint';

usePythonParser();

function read(relative: string): Network {
  const result = readModelFile(relative, fs.readFileSync(repoPath(relative), 'utf8'));
  assert.deepEqual(
    result.diagnostics.filter((d) => d.severity === 'error'),
    [],
  );
  const [network] = networksOf(result);
  assert.ok(network);
  return network;
}

describe('TF.js model.json front end', () => {
  const file = 'examples/tfjs/resnet-cifar/model.json';

  it('counts exactly what the weights manifest holds, split as Keras splits it', () => {
    const manifest = JSON.parse(fs.readFileSync(repoPath(file), 'utf8')) as {
      weightsManifest: { weights: { name: string; shape: number[] }[] }[];
    };
    const all = manifest.weightsManifest.flatMap((g) => g.weights);
    const size = (w: { shape: number[] }): number => w.shape.reduce((a, b) => a * b, 1);
    const frozen = all.filter((w) => /moving_(mean|variance)$/.test(w.name)).reduce((s, w) => s + size(w), 0);
    const everything = all.reduce((s, w) => s + size(w), 0);
    const summary = summarize(read(file));
    assert.deepEqual(summary.total, known(everything - frozen));
    assert.equal(summary.nonTrainable, frozen);
    // The weights file holds exactly those float32 values.
    assert.equal(fs.statSync(repoPath('examples/tfjs/resnet-cifar/weights.bin')).size, everything * 4);
  });

  it('recognises the residual structure from the graph', () => {
    const network = read(file);
    assert.deepEqual(network.facts.depths, known([2, 2, 2]));
    assert.deepEqual(network.facts.widths, known([64, 128, 256]));
    assert.deepEqual(network.stages[0]?.blocks[0]?.facts.norms, known(['batch', 'batch', 'batch']));
    assert.deepEqual(network.stages[0]?.blocks[0]?.facts.activations, known(['relu', 'relu', 'relu']));
    assert.equal(network.inputSize, 32);
  });

  it('raises the guideline codes its design breaks', () => {
    assert.deepEqual(codesOf(lintFile(file)), ['RA007', 'RA011', 'RA013', 'RA016']);
  });
});

describe('Keras Python front end', () => {
  const file = 'examples/keras/cifar_resnet.py';

  it('counts as Keras counts (conv and dense biases, BatchNorm moving statistics non-trainable)', () => {
    const summary = summarize(read(file));
    // By hand: stem 7x7x3x96 conv + BN(96); stage 1: block 96->64 (12,104) and block 64->64 (5,056).
    assert.equal(summary.parts[0]?.params.known && summary.parts[0].params.value, 7 * 7 * 3 * 96 + 2 * 96);
    assert.equal(summary.parts[1]?.params.known && summary.parts[1].params.value, 12_104 + 5_056);
    // Moving mean and variance of every BatchNorm: the stem's, two per block (inner, out), one per projection.
    const bnChannels =
      96 +
      [
        [16, 64],
        [32, 128],
        [64, 256],
      ].reduce((sum, [inner = 0, out = 0]) => sum + 2 * (inner + out) + out, 0);
    assert.equal(summary.nonTrainable, 2 * bnChannels);
  });

  it('names layers as Keras does and finds the SE gates', () => {
    const network = read(file);
    const names = summarize(network).rows.map((r) => r.layer.name);
    assert.deepEqual(names.slice(0, 3), ['conv2d', 'batch_normalization', 're_lu']);
    const se = network.stages[0]?.blocks[0]?.facts.se;
    assert.equal(se?.known && se.value?.squeezeChannels, 24);
    assert.equal(se?.known && se.value?.activation, 'relu');
  });

  it('a RobArch-like Keras model raises no guideline warning', () => {
    assert.deepEqual(codesOf(lintFile(file)), []);
  });
});

describe('TF.js layers that reshape what the layer walk follows', () => {
  it(
    'shows unknown shapes after a Concatenate and a ZeroPadding2D, never wrong ones, and ' + 'keeps the exact count',
    () => {
      const network = read('examples/tfjs/mnist-small/model.json');
      const summary = summarize(network);
      const output = (name: string): unknown => summary.rows.find((r) => r.layer.name === name)?.output;
      assert.deepEqual(output('branch_dw'), { kind: 'map', channels: 32, height: 7, width: 7 });
      for (const name of ['join', 'pad', 'avg', 'flatten', 'logits']) assert.equal(output(name), undefined, name);
      // Trainable weights; Keras's total adds BatchNorm's 224 moving statistics.
      assert.deepEqual(summary.total, known(34_530));
      assert.equal(summary.nonTrainable, 224);
    },
  );
});
