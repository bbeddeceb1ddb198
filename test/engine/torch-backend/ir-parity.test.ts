/**
 * The torch back end against ONNX Runtime on networks of the IR with the same weights: the
 * worker rebuilds each as torch.nn (python/ir_model.py) and takes the engine's weights as a
 * PyTorch state dict; logits and losses must agree to 1e-5 of the logit scale, and the five
 * objectives' input gradients to 1e-5 of the gradient's largest element.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { InputObjective, InputShape } from '../../../src/engine/model/classifier';
import { onnxRuntimeProblem } from '../../../src/engine/onnx/load-onnxruntime';
import { OnnxClassifier } from '../../../src/engine/onnx/onnx-classifier';
import { networkJson } from '../../../src/engine/pytorch/network-json';
import { selectTfjsBackend } from '../../../src/engine/tfjs/select-backend';
import { TorchClassifier } from '../../../src/engine/torch-backend/torch-classifier';
import { torchStateDict } from '../../../src/engine/weights/load-weights';
import { TRAINING_CASES } from '../onnx/design-cases';
import { networkFromText, perturbedTfjsModel, randomValues, relativeError } from '../onnx/parity-support';
import { NO_TORCH, PYTHON } from '../weights/torch-support';

const skip = NO_TORCH || onnxRuntimeProblem() || false;
const CASES = TRAINING_CASES.filter((c) => !c.file.endsWith('.py')).slice(0, 3);
const N = 4;
const K = 10;

function objectives(): InputObjective[] {
  const labels = Int32Array.from({ length: N }, (_, i) => (i * 3) % K);
  const targets = Int32Array.from(labels, (y) => (y + 4) % K);
  const reference = new Float32Array(N * K).fill(1 / K);
  return [
    { kind: 'ce', labels },
    { kind: 'dlr', labels },
    { kind: 'dlr-targeted', labels, targets },
    { kind: 'margin', labels, targets },
    { kind: 'kl', reference },
  ];
}

describe('torch back end equals ONNX Runtime on networks of the IR', { skip }, () => {
  const torchModels: TorchClassifier[] = [];
  before(async () => {
    await selectTfjsBackend('cpu');
  });
  after(async () => {
    await Promise.all(torchModels.map((m) => m.dispose()));
  });

  for (const [index, c] of CASES.entries()) {
    describe(c.name, () => {
      let ort: OnnxClassifier;
      let torch: TorchClassifier;
      let shape: InputShape;
      before(async () => {
        const network = await networkFromText(c.file, c.text, K);
        shape = { height: c.size, width: c.size, channels: network.inputChannels };
        const { model, state } = await perturbedTfjsModel(network, c.size, K, c.normalization, 11 + index);
        model.dispose();
        ort = OnnxClassifier.create(network, state, {
          inputShape: shape,
          numClasses: K,
          threads: 1,
          ...(c.normalization ? { normalization: c.normalization } : {}),
        });
        torch = await TorchClassifier.create({
          python: PYTHON,
          source: { kind: 'ir', network: networkJson(network) },
          inputShape: shape,
          device: 'cpu',
          threads: 1,
        });
        torchModels.push(torch);
        const dict = torchStateDict(network, shape, state, c.normalization);
        await torch.setState({ tensors: new Map([...dict].map(([k, t]) => [k, { shape: t.shape, data: t.data }])) });
      });
      after(() => ort.dispose());

      it('computes the same logits', async () => {
        const x = randomValues(N * shape.height * shape.width * shape.channels, 5 + index).map((v) => (v + 1) / 2);
        const expected = await ort.logits(x, N);
        const actual = await torch.logits(x, N);
        assert.ok(relativeError(actual, expected) < 1e-5, `relative error ${relativeError(actual, expected)}`);
        assert.equal(torch.numClasses, K);
        assert.ok(torch.info.deviceName.includes('PyTorch'));
      });

      it('computes the same input gradients for the five objectives', async () => {
        const x = randomValues(N * shape.height * shape.width * shape.channels, 9 + index).map((v) => (v + 1) / 2);
        for (const objective of objectives()) {
          const expected = await ort.inputGradient(x, N, objective);
          const actual = await torch.inputGradient(x, N, objective);
          const logitScale = Math.max(...expected.logits.map(Math.abs));
          const lossError = Math.max(...actual.loss.map((v, i) => Math.abs(v - (expected.loss[i] as number))));
          assert.ok(relativeError(actual.logits, expected.logits) < 1e-5, `${objective.kind} logits`);
          assert.ok(lossError < 1e-5 * Math.max(1, logitScale), `${objective.kind} loss differs by ${lossError}`);
          const gradError = relativeError(actual.grad, expected.grad);
          assert.ok(gradError < 1e-5, `${objective.kind} gradient relative error ${gradError}`);
        }
      });
    });
  }
});
