import assert from 'node:assert/strict';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import { evalBackendOption } from '../../../src/cli/run-options';
import { UsageError } from '../../../src/cli/io';
import type { Dataset } from '../../../src/engine/data/dataset';
import { onnxRuntimeProblem } from '../../../src/engine/onnx/load-onnxruntime';
import { OnnxClassifier } from '../../../src/engine/onnx/onnx-classifier';
import { attackedModel } from '../../../src/engine/run/eval-backend';
import { loadModel } from '../../../src/engine/run/load-model';
import { KNOWN_NORMALIZATIONS } from '../../../src/engine/tfjs/normalize-input';
import { selectTfjsBackend } from '../../../src/engine/tfjs/select-backend';
import { UnsupportedModelError } from '../../../src/engine/tfjs/unsupported-model-error';
import { randomValues, relativeError } from './parity-support';

const ROOT = path.resolve(__dirname, '../../../..');

function dataset(size: number, channels: number, n: number): Dataset {
  return {
    name: 'synthetic', shape: { height: size, width: size, channels }, numClasses: 10, n,
    images: Float32Array.from(randomValues(n * size * size * channels, 2), (v) => 0.5 + 0.5 * v),
    labels: Int32Array.from({ length: n }, (_, i) => i % 10),
  };
}

describe('--backend onnxruntime for eval', () => {
  it('is accepted by eval, and other names are refused naming it', () => {
    assert.equal(evalBackendOption('onnxruntime'), 'onnxruntime');
    assert.equal(evalBackendOption('wasm'), 'wasm');
    assert.equal(evalBackendOption(undefined), undefined);
    assert.throws(() => evalBackendOption('ort'), (e: unknown) => e instanceof UsageError && /onnxruntime/.test(e.message));
  });

  describe('with onnxruntime-node', { skip: onnxRuntimeProblem() ?? false }, () => {
    before(async () => {
      await selectTfjsBackend('cpu');
    });

    it('attacks the loaded model with its weights and normalisation on ONNX Runtime', async () => {
      const data = dataset(28, 1, 4);
      const normalization = KNOWN_NORMALIZATIONS.mnist;
      const loaded = await loadModel(path.join(ROOT, 'examples/mnist-small.arch.yaml'), undefined, data, normalization, 3);
      const attacked = await attackedModel('onnxruntime', loaded, data, normalization);
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

    it('refuses a TF.js model.json, which it cannot rebuild', async () => {
      const data = dataset(32, 3, 1);
      const loaded = await loadModel(path.join(ROOT, 'examples/tfjs/resnet-cifar/model.json'), undefined, data, undefined, 0);
      try {
        await assert.rejects(attackedModel('onnxruntime', loaded, data, undefined), (e: unknown) => e instanceof UnsupportedModelError && /model\.json runs on the tfjs back ends/.test(e.message));
      } finally {
        loaded.model.dispose();
      }
    });
  });
});
