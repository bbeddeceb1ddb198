/**
 * The engine's .safetensors export read by the torch back end's worker (its own reader, no
 * `safetensors` package): a network of the IR with the engine's weights gives ONNX Runtime's
 * logits, and exactly the logits of the same weights written as a torch.save file.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Network } from '../../../src/core';
import type { InputShape, ModelState } from '../../../src/engine/model/classifier';
import { onnxRuntimeProblem } from '../../../src/engine/onnx/load-onnxruntime';
import { OnnxClassifier } from '../../../src/engine/onnx/onnx-classifier';
import { networkJson } from '../../../src/engine/pytorch/network-json';
import { workerReadsWeightsFile } from '../../../src/engine/run/torch-eval-source';
import { selectTfjsBackend } from '../../../src/engine/tfjs/select-backend';
import { TorchClassifier } from '../../../src/engine/torch-backend/torch-classifier';
import { torchStateDict } from '../../../src/engine/weights/load-weights';
import { writeSafetensors } from '../../../src/engine/weights/safetensors';
import { torchStateDictFile } from '../../../src/engine/weights/torch-writer';
import { TRAINING_CASES } from '../onnx/design-cases';
import { networkFromText, perturbedTfjsModel, randomValues, relativeError } from '../onnx/parity-support';
import { NO_TORCH, PYTHON } from '../weights/torch-support';

const skip = NO_TORCH || onnxRuntimeProblem() || false;
const N = 4;
const K = 10;

describe('the worker reads the engine’s .safetensors export', { skip }, () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rl-st-'));
  const models: TorchClassifier[] = [];
  // MNIST-small has BatchNorm, so the file holds int64 num_batches_tracked next to float32 tensors.
  const c = TRAINING_CASES.find((t) => t.file === 'mnist-small.arch.yaml');
  const files = { safetensors: path.join(dir, 'weights.safetensors'), pt: path.join(dir, 'weights.pt') };
  let network: Network;
  let shape: InputShape;
  let state: ModelState;
  before(async () => {
    assert.ok(c);
    await selectTfjsBackend('cpu');
    network = await networkFromText(c.file, c.text, K);
    shape = { height: c.size, width: c.size, channels: network.inputChannels };
    const perturbed = await perturbedTfjsModel(network, c.size, K, c.normalization, 23);
    perturbed.model.dispose();
    state = perturbed.state;
    // What `robustness-lens export --format safetensors|pt` writes for a run of this model.
    const dict = torchStateDict(network, shape, state, c.normalization);
    assert.ok([...dict.values()].some((t) => t.dtype === 'int64'));
    fs.writeFileSync(files.safetensors, writeSafetensors(dict, { format: 'pt', model: network.name }));
    fs.writeFileSync(files.pt, torchStateDictFile(dict));
  });
  after(async () => {
    await Promise.all(models.map((m) => m.dispose()));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const torchWith = async (weights: string): Promise<TorchClassifier> => {
    const torch = await TorchClassifier.create({
      python: PYTHON,
      source: { kind: 'ir', network: networkJson(network) },
      inputShape: shape,
      weights,
      device: 'cpu',
      threads: 1,
    });
    models.push(torch);
    return torch;
  };

  it("gives ONNX Runtime's logits, and the .pt file's bit for bit", async () => {
    const ort = OnnxClassifier.create(network, state, {
      inputShape: shape,
      numClasses: K,
      threads: 1,
      ...(c?.normalization ? { normalization: c.normalization } : {}),
    });
    const x = randomValues(N * shape.height * shape.width * shape.channels, 31).map((v) => (v + 1) / 2);
    const expected = await ort.logits(x, N);
    ort.dispose();
    const fromSafetensors = await (await torchWith(files.safetensors)).logits(x, N);
    const fromPt = await (await torchWith(files.pt)).logits(x, N);
    assert.equal(fromSafetensors.length, N * K);
    const error = relativeError(fromSafetensors, expected);
    assert.ok(error < 1e-5, `relative error ${error}`);
    assert.deepEqual(fromSafetensors, fromPt);
  });

  it('names the file and the key when the export is cut short', async () => {
    const cut = path.join(dir, 'cut.safetensors');
    const bytes = fs.readFileSync(files.safetensors);
    fs.writeFileSync(cut, bytes.subarray(0, bytes.length - 8));
    await assert.rejects(
      torchWith(cut),
      (error: Error) => error.message.includes(`${cut}: "`) && /lies outside the file/.test(error.message),
    );
  });
});

describe('the torch back end takes the weights files its worker reads', () => {
  it('by extension: torch.save names and .safetensors, in any case', () => {
    for (const f of ['a.pt', 'b.PTH', 'c.ckpt', 'd.tar', 'e.bin', 'w.safetensors', 'W.SafeTensors'])
      assert.equal(workerReadsWeightsFile(f), true, f);
    for (const f of ['run-folder', 'checkpoint.rlck', 'model.onnx', 'x.safetensors.json', 'safetensors'])
      assert.equal(workerReadsWeightsFile(f), false, f);
  });
});
