import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import { selectTfjsBackend } from '../../../src/engine/tfjs/select-backend';
import { readModelFile, summarize, type Network } from '../../../src/core';
import { TfjsClassifier } from '../../../src/engine/tfjs/tfjs-classifier';
import { UnsupportedModelError } from '../../../src/engine/tfjs/build-forward';
import { loadBundledMnist } from '../../../src/engine/data/bundled-mnist';
import { take } from '../../../src/engine/data/dataset';
import { KNOWN_NORMALIZATIONS } from '../../../src/engine/tfjs/normalize-input';
import { train } from '../../../src/engine/train/train-loop';
import { TRAIN_DEFAULTS } from '../../../src/engine/train/train-config';

const ROOT = path.resolve(__dirname, '../../../..');
const MNIST_DIR = path.join(ROOT, 'dist-test', 'data', 'mnist-bundled');

function network(file: string): Network {
  const full = path.join(ROOT, file);
  const read = readModelFile(full, fs.readFileSync(full, 'utf8'));
  const net = read.network;
  assert.ok(net, `${file} did not read: ${read.diagnostics.map((d) => d.message).join('; ')}`);
  return net;
}

describe('tfjs model built from the IR', () => {
  before(async () => {
    // The back end the engine picks on a machine like CI's: WebAssembly with our gradient kernels.
    await selectTfjsBackend('wasm');
  });

  for (const [file, size, channels, classes] of [
    ['examples/mnist-small.arch.yaml', 28, 1, 10],
    ['examples/robarch-s.arch.yaml', 32, 3, 1000],
    ['test/fixtures/rules/RA014/fires/silu-in-se.arch.yaml', 32, 3, 1000],
  ] as const) {
    it(
      `${path.basename(file)} has exactly the parameters the counter reports`,
      { skip: !fs.existsSync(path.join(ROOT, file)) },
      () => {
        const net = network(file);
        const expected = summarize(net, size).total;
        assert.ok(expected.known);
        const model = new TfjsClassifier(net, {
          inputShape: { height: size, width: size, channels },
          numClasses: classes,
          seed: 1,
        });
        try {
          assert.equal(model.paramCount(), expected.value);
        } finally {
          model.dispose();
        }
      },
    );
  }

  it('refuses data whose channels the model does not take, saying so', () => {
    assert.throws(
      () =>
        new TfjsClassifier(network('examples/mnist-small.arch.yaml'), {
          inputShape: { height: 32, width: 32, channels: 3 },
          numClasses: 10,
          seed: 1,
        }),
      (e: unknown) =>
        e instanceof UnsupportedModelError && /1-channel images but the data has 3 channels/.test(e.message),
    );
  });

  it('input gradients agree with finite differences', async () => {
    const model = new TfjsClassifier(network('examples/mnist-small.arch.yaml'), {
      inputShape: { height: 28, width: 28, channels: 1 },
      numClasses: 10,
      seed: 3,
    });
    try {
      const data = take(loadBundledMnist(MNIST_DIR).test, 2);
      const x = Float64Array.from(data.images);
      for (const kind of ['ce', 'dlr'] as const) {
        const objective = { kind, labels: data.labels };
        const g = await model.inputGradient(Float32Array.from(x), 2, objective);
        // Probe along the gradient itself: the directional derivative must equal ||g||^2.
        const h = 1e-2 / Math.max(1e-12, Math.sqrt(g.grad.reduce((s, v) => s + v * v, 0)));
        const plus = Float32Array.from(x, (v, j) => v + h * (g.grad[j] ?? 0));
        const minus = Float32Array.from(x, (v, j) => v - h * (g.grad[j] ?? 0));
        const lp = (await model.inputGradient(plus, 2, objective)).loss;
        const lm = (await model.inputGradient(minus, 2, objective)).loss;
        const numeric = (lp.reduce((s, v) => s + v, 0) - lm.reduce((s, v) => s + v, 0)) / (2 * h);
        const analytic = g.grad.reduce((s, v) => s + v * v, 0);
        assert.ok(
          Math.abs(numeric - analytic) <= 0.05 * Math.abs(analytic),
          `${kind}: numeric ${numeric}, analytic ${analytic}`,
        );
      }
    } finally {
      model.dispose();
    }
  });

  it(
    'learns real MNIST digits with standard training, and a resumed run ends where an ' + 'unbroken one does',
    async (t) => {
      const mnist = loadBundledMnist(MNIST_DIR);
      const data = { train: take(mnist.train!, 1024), test: take(mnist.test, 200) };
      const config = {
        ...TRAIN_DEFAULTS,
        method: 'standard' as const,
        threat: { norm: 'Linf' as const, eps: 0.1 },
        epochs: 2,
        batchSize: 32,
        learningRate: 0.05,
        evalSamples: 200,
        evalPgdSteps: 2,
        seed: 7,
      };
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rl-train-'));
      t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
      const make = () =>
        new TfjsClassifier(network('examples/mnist-small.arch.yaml'), {
          inputShape: { height: 28, width: 28, channels: 1 },
          numClasses: 10,
          normalization: KNOWN_NORMALIZATIONS.mnist,
          seed: 11,
        });

      const whole = make();
      const unbroken = await train(whole, data, config, {
        checkpointFile: path.join(dir, 'a.rlck'),
        resume: false,
        isCancelled: () => false,
      });
      whole.dispose();
      assert.equal(unbroken.status, 'completed');
      const last = unbroken.history[unbroken.history.length - 1];
      // Chance is 10%; 64 small steps of a 19K-parameter model get about halfway to what it can reach.
      assert.ok(last && last.cleanAccuracy > 0.4, `clean accuracy after 2 epochs: ${last?.cleanAccuracy}`);
      assert.ok(
        unbroken.history[0] && last.cleanAccuracy > unbroken.history[0].cleanAccuracy,
        'accuracy did not improve from the first epoch to the second',
      );

      // Cancel in the middle of the second epoch, then resume in a fresh model.
      let stop = false;
      const first = make();
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
      const second = make();
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
          b && Math.abs(a.trainLoss - b.trainLoss) < 1e-5,
          `epoch ${a.epoch}: loss ${a.trainLoss} vs ${b?.trainLoss}`,
        );
        assert.equal(a.cleanAccuracy, b.cleanAccuracy);
        assert.equal(a.pgdAccuracy, b.pgdAccuracy);
      }
    },
  );
});
