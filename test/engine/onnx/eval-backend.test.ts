import assert from 'node:assert/strict';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import { evalBackendOption } from '../../../src/cli/run-options';
import { UsageError } from '../../../src/cli/io';
import type { Dataset } from '../../../src/engine/data/dataset';
import { onnxRuntimeProblem } from '../../../src/engine/onnx/load-onnxruntime';
import { OnnxClassifier } from '../../../src/engine/onnx/onnx-classifier';
import type { EvalBackend } from '../../../src/engine/run/backend-choice';
import { attackedModel } from '../../../src/engine/run/eval-backend';
import { loadModel } from '../../../src/engine/run/load-model';
import { KNOWN_NORMALIZATIONS } from '../../../src/engine/tfjs/normalize-input';
import { selectTfjsBackend } from '../../../src/engine/tfjs/select-backend';
import { UnsupportedModelError } from '../../../src/engine/tfjs/unsupported-model-error';
import { randomValues, relativeError } from './parity-support';

const ROOT = path.resolve(__dirname, '../../../..');

function dataset(size: number, channels: number, n: number): Dataset {
  return {
    name: 'synthetic',
    shape: { height: size, width: size, channels },
    numClasses: 10,
    n,
    images: Float32Array.from(randomValues(n * size * size * channels, 2), (v) => 0.5 + 0.5 * v),
    labels: Int32Array.from({ length: n }, (_, i) => i % 10),
  };
}

/** ONNX Runtime on the CPU, chosen by the user or automatically, with tfjs cpu loading the model. */
function onnxBackend(automatic: boolean): EvalBackend {
  const tfjs = { name: 'cpu', device: 'CPU', notes: [] };
  return {
    name: 'onnxruntime',
    device: 'CPU (onnxruntime-node)',
    notes: ['attacks run on ONNX Runtime'],
    onnx: { provider: 'cpu', threads: 1 },
    automatic,
    tfjs,
  };
}

describe('--backend onnxruntime for eval', () => {
  it('is accepted by eval, and other names are refused naming it', () => {
    assert.equal(evalBackendOption('onnxruntime'), 'onnxruntime');
    assert.equal(evalBackendOption('wasm'), 'wasm');
    assert.equal(evalBackendOption(undefined), undefined);
    assert.throws(
      () => evalBackendOption('ort'),
      (e: unknown) => e instanceof UsageError && /onnxruntime/.test(e.message),
    );
  });

  describe('with onnxruntime-node', { skip: onnxRuntimeProblem() ?? false }, () => {
    before(async () => {
      await selectTfjsBackend('cpu');
    });

    it('attacks the loaded model with its weights and normalisation on ONNX Runtime', async () => {
      const data = dataset(28, 1, 4);
      const normalization = KNOWN_NORMALIZATIONS.mnist;
      const loaded = await loadModel(
        path.join(ROOT, 'examples/mnist-small.arch.yaml'),
        undefined,
        data,
        normalization,
        3,
      );
      const { model: attacked, backend } = await attackedModel(onnxBackend(false), loaded, data, normalization);
      try {
        assert.ok(attacked instanceof OnnxClassifier);
        assert.equal(backend.name, 'onnxruntime');
        const expected = await loaded.model.logits(data.images, data.n);
        const actual = await attacked.logits(data.images, data.n);
        assert.ok(relativeError(actual, expected) < 2e-5, `logits off by ${relativeError(actual, expected)}`);
      } finally {
        await attacked.dispose();
        loaded.model.dispose();
      }
    });

    it('runs a TF.js model.json from its layers and the loaded weights', async () => {
      const data = dataset(32, 3, 2);
      const loaded = await loadModel(
        path.join(ROOT, 'examples/tfjs/resnet-cifar/model.json'),
        undefined,
        data,
        undefined,
        0,
      );
      const { model: attacked } = await attackedModel(onnxBackend(false), loaded, data, undefined);
      try {
        assert.ok(attacked instanceof OnnxClassifier);
        const expected = await loaded.model.logits(data.images, data.n);
        const actual = await attacked.logits(data.images, data.n);
        assert.ok(relativeError(actual, expected) < 2e-5, `logits off by ${relativeError(actual, expected)}`);
      } finally {
        await attacked.dispose();
        loaded.model.dispose();
      }
    });

    it(
      'falls back to tfjs for a model it cannot build when chosen automatically, and ' + 'refuses it when asked for',
      async () => {
        const data = dataset(28, 1, 1);
        // Dense connections between blocks: the graph emitter refuses them (emit-network.ts).
        const loaded = await loadModel(
          path.join(ROOT, 'examples/mnist-small.arch.yaml'),
          undefined,
          data,
          undefined,
          0,
        );
        const unbuildable = {
          ...loaded,
          network: {
            ...loaded.network!,
            stages: loaded.network!.stages.map((st) => ({
              ...st,
              facts: { ...st.facts, denseRatio: { known: true as const, value: 0.5 } },
            })),
          },
        };
        try {
          const { model, backend } = await attackedModel(onnxBackend(true), unbuildable, data, undefined);
          assert.equal(model, loaded.model);
          assert.equal(backend.name, 'cpu');
          assert.ok(
            backend.notes.some((n) => /onnxruntime cannot build this model/.test(n)),
            backend.notes.join('; '),
          );
          await assert.rejects(
            attackedModel(onnxBackend(false), unbuildable, data, undefined),
            (e: unknown) => e instanceof UnsupportedModelError && /dense connections/.test(e.message),
          );
        } finally {
          loaded.model.dispose();
        }
      },
    );
  });
});
