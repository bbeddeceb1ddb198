import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import { readModelFile, type Network } from '../../../src/core';
import { loadBundledMnist } from '../../../src/engine/data/bundled-mnist';
import { take } from '../../../src/engine/data/dataset';
import { onnxRuntimeProblem } from '../../../src/engine/onnx/load-onnxruntime';
import { OnnxTrainableClassifier } from '../../../src/engine/onnx/onnx-trainable-classifier';
import { KNOWN_NORMALIZATIONS } from '../../../src/engine/tfjs/normalize-input';
import { selectTfjsBackend } from '../../../src/engine/tfjs/select-backend';
import { TfjsClassifier } from '../../../src/engine/tfjs/tfjs-classifier';
import { UnsupportedModelError } from '../../../src/engine/tfjs/unsupported-model-error';
import { readCheckpoint } from '../../../src/engine/train/checkpoint';
import { networkFromText } from './parity-support';
import { train } from '../../../src/engine/train/train-loop';
import { TRAIN_DEFAULTS } from '../../../src/engine/train/train-config';

const ROOT = path.resolve(__dirname, '../../../..');
const MNIST_DIR = path.join(ROOT, 'dist-test', 'data', 'mnist-bundled');
const SHAPE = { height: 28, width: 28, channels: 1 };

function network(file: string): Network {
  const full = path.join(ROOT, file);
  const read = readModelFile(full, fs.readFileSync(full, 'utf8'));
  assert.ok(read.network, `${file} did not read`);
  return read.network;
}

/** The ONNX Runtime model a training run starts from: the tfjs model's seeded initial weights. */
async function make(net: Network, seed: number): Promise<OnnxTrainableClassifier> {
  const source = new TfjsClassifier(net, {
    inputShape: SHAPE,
    numClasses: 10,
    normalization: KNOWN_NORMALIZATIONS.mnist,
    seed,
  });
  const state = await source.getState();
  source.dispose();
  return OnnxTrainableClassifier.create(net, state, {
    inputShape: SHAPE,
    numClasses: 10,
    normalization: KNOWN_NORMALIZATIONS.mnist,
  });
}

const problem = onnxRuntimeProblem();

describe('onnxruntime training runs', { skip: problem ?? false }, () => {
  before(async () => {
    await selectTfjsBackend('cpu');
  });

  it(
    'learns real MNIST digits with PGD training, and a run killed mid-epoch resumes where ' + 'an unbroken one ends',
    async (t) => {
      const mnist = loadBundledMnist(MNIST_DIR);
      const data = { train: take(mnist.train!, 1024), test: take(mnist.test, 200) };
      const config = {
        ...TRAIN_DEFAULTS,
        method: 'pgd' as const,
        attackSteps: 2,
        threat: { norm: 'Linf' as const, eps: 0.1 },
        epochs: 2,
        batchSize: 32,
        learningRate: 0.05,
        evalSamples: 200,
        evalPgdSteps: 2,
        seed: 7,
      };
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rl-ort-train-'));
      t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
      const net = network('examples/mnist-small.arch.yaml');

      const whole = await make(net, 11);
      const unbroken = await train(whole, data, config, {
        checkpointFile: path.join(dir, 'a.rlck'),
        resume: false,
        isCancelled: () => false,
      });
      whole.dispose();
      assert.equal(unbroken.status, 'completed');
      const last = unbroken.history[unbroken.history.length - 1];
      // Chance is 10%; 64 small PGD-2 steps at eps 0.1 get a 19K-parameter model about a third of the way.
      assert.ok(last && last.cleanAccuracy > 0.25, `clean accuracy after 2 epochs: ${last?.cleanAccuracy}`);

      // Cancelled in the middle of the second epoch, then resumed in a fresh model.
      let stop = false;
      const first = await make(net, 11);
      const cut = await train(first, data, config, {
        checkpointFile: path.join(dir, 'b.rlck'),
        resume: false,
        isCancelled: () => stop,
        events: {
          progress: (p) => {
            stop = p.epoch === 2 && p.step === 10;
          },
        },
      });
      first.dispose();
      assert.equal(cut.status, 'cancelled');
      assert.equal(cut.history.length, 1);
      // A fresh model with other initial weights: everything must come from the checkpoint.
      const second = await make(net, 12);
      const resumed = await train(second, data, config, {
        checkpointFile: path.join(dir, 'b.rlck'),
        resume: true,
        isCancelled: () => false,
      });
      second.dispose();
      assert.equal(resumed.status, 'completed');
      assert.equal(resumed.history.length, 2);
      for (const [a, b] of unbroken.history.map((h, i) => [h, resumed.history[i]] as const)) {
        assert.ok(
          b && Math.abs(a.trainLoss - b.trainLoss) < 1e-6,
          `epoch ${a.epoch}: loss ${a.trainLoss} vs ${b?.trainLoss}`,
        );
        assert.equal(a.cleanAccuracy, b.cleanAccuracy);
        assert.equal(a.fgsmAccuracy, b.fgsmAccuracy);
        assert.equal(a.pgdAccuracy, b.pgdAccuracy);
      }

      // The checkpoint an ONNX Runtime run wrote loads into the tfjs model unchanged, and the reverse.
      const state = await (async () => {
        const m = await make(net, 13);
        await m.setState(readCheckpoint(path.join(dir, 'b.rlck')).state);
        const s = await m.getState();
        m.dispose();
        return s;
      })();
      const tfjs = new TfjsClassifier(net, {
        inputShape: SHAPE,
        numClasses: 10,
        normalization: KNOWN_NORMALIZATIONS.mnist,
        seed: 14,
      });
      await tfjs.setState(state);
      const ort = await OnnxTrainableClassifier.create(net, await tfjs.getState(), {
        inputShape: SHAPE,
        numClasses: 10,
        normalization: KNOWN_NORMALIZATIONS.mnist,
      });
      const x = data.test.images.subarray(0, 8 * 784);
      const expected = await tfjs.logits(x, 8);
      const actual = await ort.logits(x, 8);
      const scale = expected.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
      assert.ok(
        actual.every((v, i) => Math.abs(v - (expected[i] as number)) <= 1e-4 * scale),
        'the checkpoint means the same on both back ends',
      );
      tfjs.dispose();
      ort.dispose();
    },
  );

  it('refuses a model the graph emitter cannot build, naming the layer and pointing to tfjs', async () => {
    const net = await networkFromText(
      'mlp.py',
      `import torch.nn as nn

class Mlp(nn.Module):
    def __init__(self, num_classes=10):
        super().__init__()
        self.conv = nn.Conv2d(1, 4, 3, stride=4)
        self.flatten = nn.Flatten()
        self.fc1 = nn.Linear(4 * 7 * 7, 32)
        self.norm = nn.LayerNorm(32)
        self.fc2 = nn.Linear(32, num_classes)

    def forward(self, x):
        return self.fc2(self.norm(self.fc1(self.flatten(self.conv(x)))))
`,
      10,
    );
    await assert.rejects(make(net, 1), (e: unknown) => {
      assert.ok(e instanceof UnsupportedModelError, String(e));
      assert.match(
        e.message,
        /norm: layer norm on a rank-2 value is not built by the onnxruntime back end; the tfjs back end can run it/,
      );
      return true;
    });
  });
});
