import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { trainBackendOption } from '../../../src/cli/run-options';
import { UsageError } from '../../../src/cli/io';
import { onnxRuntimeProblem } from '../../../src/engine/onnx/load-onnxruntime';
import { executeTrain } from '../../../src/engine/run/execute-train';
import type { RunMessage } from '../../../src/engine/run/run-messages';

const ROOT = path.resolve(__dirname, '../../../..');
const MNIST_DIR = path.join(ROOT, 'dist-test', 'data', 'mnist-bundled');

describe('train --backend onnxruntime', () => {
  it('is accepted by train, and other names are refused naming it', () => {
    assert.equal(trainBackendOption('onnxruntime'), 'onnxruntime');
    assert.equal(trainBackendOption('cpu'), 'cpu');
    assert.equal(trainBackendOption(undefined), undefined);
    assert.throws(
      () => trainBackendOption('ort'),
      (e: unknown) => e instanceof UsageError && /onnxruntime/.test(e.message),
    );
  });

  it(
    'runs the training loop on ONNX Runtime, says so, and resumes a tfjs run from its checkpoint',
    { skip: onnxRuntimeProblem() ?? false },
    async (t) => {
      const workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'rl-ort-run-'));
      t.after(() => fs.rmSync(workspace, { recursive: true, force: true }));
      const config = {
        threat: { norm: 'Linf' as const, eps: 0.1 },
        method: 'fast' as const,
        epochs: 1,
        batchSize: 32,
        trainSamples: 128,
        evalSamples: 32,
        evalPgdSteps: 2,
        seed: 3,
      };
      const messages: RunMessage[] = [];
      const summary = await executeTrain(
        {
          modelFile: path.join(ROOT, 'examples/mnist-small.arch.yaml'),
          data: MNIST_DIR,
          backend: 'onnxruntime',
          workspace,
          config,
        },
        (m) => messages.push(m),
        () => false,
      );
      assert.equal(summary.status, 'completed');
      const started = messages.find((m) => m.type === 'started');
      assert.ok(started && started.type === 'started' && started.backend === 'onnxruntime');
      const environment = JSON.parse(fs.readFileSync(path.join(summary.runDir, 'environment.json'), 'utf8')) as {
        backend: string;
      };
      assert.equal(environment.backend, 'onnxruntime');
      const saved = JSON.parse(fs.readFileSync(path.join(summary.runDir, 'config.json'), 'utf8')) as {
        model: { params: number };
      };
      assert.ok(saved.model.params > 10_000);

      // A run begun on tfjs, stopped after its first epoch, continues on ONNX Runtime from its checkpoint.
      const two = { ...config, epochs: 2 };
      let stop = false;
      const first = await executeTrain(
        {
          modelFile: path.join(ROOT, 'examples/mnist-small.arch.yaml'),
          data: MNIST_DIR,
          backend: 'cpu',
          workspace,
          config: two,
        },
        (m) => {
          if (m.type === 'checkpoint') stop = true;
        },
        () => stop,
      );
      assert.equal(first.status, 'cancelled');
      assert.equal(first.history?.length, 1);
      const resumed = await executeTrain(
        { modelFile: '', data: MNIST_DIR, backend: 'onnxruntime', workspace, config: two, resume: first.runDir },
        () => undefined,
        () => false,
      );
      assert.equal(resumed.status, 'completed');
      assert.equal(resumed.history?.length, 2);
      assert.deepEqual(resumed.history?.[0], first.history?.[0]);
    },
  );
});
