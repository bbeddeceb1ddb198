import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readModelFile } from '../../../src/core';
import { loadBundledMnist } from '../../../src/engine/data/bundled-mnist';
import { take } from '../../../src/engine/data/dataset';
import type { RunMessage, RunSummary } from '../../../src/engine/run/run-messages';
import { readCheckpoint } from '../../../src/engine/train/checkpoint';
import { TRAIN_DEFAULTS } from '../../../src/engine/train/train-config';
import { train } from '../../../src/engine/train/train-loop';
import { KNOWN_NORMALIZATIONS } from '../../../src/engine/tfjs/normalize-input';
import { selectTfjsBackend } from '../../../src/engine/tfjs/select-backend';
import { TfjsClassifier } from '../../../src/engine/tfjs/tfjs-classifier';
import { RunQueue, type RunEntry } from '../../../src/extension/runs/run-queue';
import { trainRequest } from '../../../src/extension/runs/run-request';
import { describeOutcome } from '../../../src/extension/runs/run-text';

const ROOT = path.resolve(__dirname, '../../../..');
const MNIST_DIR = path.join(ROOT, 'dist-test', 'data', 'mnist-bundled');

/** What the notification says of a training the engine ended with `summary`. */
function outcomeText(summary: RunSummary): string {
  let send: ((m: RunMessage) => void) | undefined;
  const queue = new RunQueue((_request, onMessage) => {
    send = onMessage;
    return { cancel: () => undefined };
  });
  let finished: RunEntry | undefined;
  queue.onEvent((entry) => {
    if (entry.state === 'finished') finished = entry;
  });
  queue.enqueue(trainRequest({ modelFile: '/ws/m.arch.yaml', workspace: '/ws', data: 'mnist', eps: 0.1 }));
  send?.({ type: 'result', result: summary });
  assert.ok(finished, 'the run finished');
  return describeOutcome(finished);
}

describe('a cancelled training, as the editor says it', () => {
  before(async () => {
    await selectTfjsBackend('cpu');
  });

  it('"Cancelled after epoch k (checkpoint kept)", and the checkpoint holds epoch k', async (t) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rl-cancel-text-'));
    t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
    const file = path.join(ROOT, 'examples/mnist-small.arch.yaml');
    const network = readModelFile(file, fs.readFileSync(file, 'utf8')).network;
    assert.ok(network);
    const mnist = loadBundledMnist(MNIST_DIR);
    const data = { train: take(mnist.train ?? mnist.test, 64), test: take(mnist.test, 32) };
    const config = {
      ...TRAIN_DEFAULTS,
      method: 'fast' as const,
      threat: { norm: 'Linf' as const, eps: 0.1 },
      epochs: 3,
      batchSize: 32,
      evalSamples: 32,
      evalPgdSteps: 1,
      seed: 3,
    };
    const model = new TfjsClassifier(network, {
      inputShape: { height: 28, width: 28, channels: 1 },
      numClasses: 10,
      normalization: KNOWN_NORMALIZATIONS.mnist,
      seed: 3,
    });
    t.after(() => model.dispose());
    let stop = false;
    const checkpointFile = path.join(dir, 'checkpoint.rlck');
    const cut = await train(model, data, config, {
      checkpointFile,
      resume: false,
      isCancelled: () => stop,
      // Cancel pressed during the second epoch: the first one's checkpoint is on disk.
      events: {
        progress: (p) => {
          stop = p.epoch === 2;
        },
      },
    });
    assert.equal(cut.status, 'cancelled');
    assert.equal((readCheckpoint(checkpointFile).meta as { epochsDone?: number }).epochsDone, 1);
    const summary: RunSummary = { runId: 'r', runDir: dir, kind: 'train', ...cut };
    const text = outcomeText(summary);
    const last = cut.history.at(-1);
    assert.ok(last);
    const pct = (x: number): string => `${(100 * x).toFixed(1)}%`;
    const figures = `clean ${pct(last.cleanAccuracy)}, PGD ${pct(last.pgdAccuracy)}`;
    assert.equal(text, `Cancelled after epoch 1 (checkpoint kept): ${figures}`);
  });

  it('a training cancelled before its first epoch ends says no checkpoint was kept', () => {
    const text = outcomeText({ runId: 'r', runDir: '/ws/r', kind: 'train', status: 'cancelled', history: [] });
    assert.equal(text, 'Cancelled during epoch 1, before any checkpoint');
  });
});
