/**
 * Debian's PyTorch writes checkpoints of networks of the IR rebuilt as torch.nn
 * (python/ir_model.py); the engine reads them without Python and must compute PyTorch's logits.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Network } from '../../../src/core';
import type { Classifier, InputShape, ModelState } from '../../../src/engine/model/classifier';
import { onnxRuntimeProblem } from '../../../src/engine/onnx/load-onnxruntime';
import { OnnxClassifier } from '../../../src/engine/onnx/onnx-classifier';
import { networkJson } from '../../../src/engine/pytorch/network-json';
import type { InputNormalization } from '../../../src/engine/tfjs/normalize-input';
import { selectTfjsBackend } from '../../../src/engine/tfjs/select-backend';
import { TfjsClassifier } from '../../../src/engine/tfjs/tfjs-classifier';
import { torchStateDict } from '../../../src/engine/weights/load-weights';
import { applyTorchWeights, readTorchWeights } from '../../../src/engine/weights/torch-weights';
import { torchStateDictFile } from '../../../src/engine/weights/torch-writer';
import { WeightsFileError } from '../../../src/engine/weights/weights-error';
import { TRAINING_CASES, type DesignCase } from '../onnx/design-cases';
import { networkFromText } from '../onnx/parity-support';
import { NO_TORCH, tempDir, torchScript } from './torch-support';

const dir = tempDir();
after(() => fs.rmSync(dir, { recursive: true, force: true }));
const onnxProblem = onnxRuntimeProblem();
const N = 3;

/** How each design's checkpoint is saved: plain, in a training script's dict, DataParallel-prefixed. */
const SAVES: readonly { readonly wrap?: string; readonly prefix?: string; readonly safetensors?: boolean }[] = [
  {},
  { wrap: 'state_dict', prefix: 'module.', safetensors: true },
  { wrap: 'model' },
  { wrap: 'net', prefix: 'module.' },
];
const CASES = TRAINING_CASES.filter((c) => !c.file.endsWith('.py'));

interface Written {
  readonly network: Network;
  readonly shape: InputShape;
  readonly file: string;
  readonly safetensors?: string;
  readonly input: Float32Array;
  readonly logits: Float32Array;
}

function writeCheckpoint(c: DesignCase, network: Network, index: number): Written {
  const save = SAVES[index % SAVES.length] ?? {};
  const shape = { height: c.size, width: c.size, channels: network.inputChannels };
  const base = path.join(dir, `${network.name}-${index}`);
  const spec = {
    network: networkJson(network),
    ...(c.normalization ? { mean: c.normalization.mean, std: c.normalization.std } : {}),
    seed: 11 + index,
    file: `${base}.pt`,
    ...(save.wrap ? { wrap: save.wrap } : {}),
    ...(save.prefix ? { prefix: save.prefix } : {}),
    ...(save.safetensors ? { safetensorsFile: `${base}.safetensors` } : {}),
    input: [N, c.size, c.size, network.inputChannels],
    inputFile: `${base}.input.bin`,
    logitsFile: `${base}.logits.json`,
  };
  fs.writeFileSync(`${base}.json`, JSON.stringify(spec));
  torchScript('write', `${base}.json`);
  return {
    network,
    shape,
    file: spec.file,
    ...(save.safetensors ? { safetensors: `${base}.safetensors` } : {}),
    input: new Float32Array(fs.readFileSync(spec.inputFile).buffer.slice(0)),
    logits: Float32Array.from(JSON.parse(fs.readFileSync(spec.logitsFile, 'utf8')) as number[]),
  };
}

/** Largest logit difference over the largest logit magnitude (at least 1). */
function relativeGap(ours: Float32Array, theirs: Float32Array): number {
  assert.equal(ours.length, theirs.length);
  const scale = Math.max(1, ...Array.from(theirs, Math.abs));
  return Math.max(...Array.from(theirs, (v, i) => Math.abs(v - (ours[i] as number)))) / scale;
}

type Loaded = { model: TfjsClassifier; normalization: InputNormalization | undefined };

async function loadedModel(w: Written, file: string): Promise<Loaded> {
  const weights = readTorchWeights(file);
  const normalization = weights.normalization ?? undefined;
  const options = { inputShape: w.shape, numClasses: 10, seed: 1, ...(normalization ? { normalization } : {}) };
  const model = new TfjsClassifier(w.network, options);
  await applyTorchWeights(model, w.network, w.shape, weights);
  return { model, normalization };
}

describe("PyTorch checkpoints of IR models give PyTorch's logits in the engine", { skip: NO_TORCH }, () => {
  const written: Written[] = [];
  before(async () => {
    await selectTfjsBackend('cpu');
    for (const [i, c] of CASES.entries()) {
      written.push(writeCheckpoint(c, await networkFromText(c.file, c.text, 10), i));
    }
  });

  it("reads each design's torch.save file (plain, in a dict, DataParallel) into tfjs and ONNX Runtime", async (t) => {
    const withSe = written.some((w) => w.network.name === 'design');
    assert.ok(written.length >= 3 && withSe, 'the designs include SE and grouped convs');
    for (const w of written) {
      const { model, normalization } = await loadedModel(w, w.file);
      try {
        const gap = relativeGap(await model.logits(w.input, N), w.logits);
        assert.ok(gap <= 1e-5, `${w.network.name} on tfjs cpu: logits differ by ${gap} of their scale`);
        t.diagnostic(`${w.network.name} (${path.basename(w.file)}): tfjs cpu ${gap.toExponential(2)} of the scale`);
        if (!onnxProblem) {
          const options = { inputShape: w.shape, numClasses: 10, ...(normalization ? { normalization } : {}) };
          const onnx = OnnxClassifier.create(w.network, await model.getState(), options);
          try {
            const onnxGap = relativeGap(await (onnx as Classifier).logits(w.input, N), w.logits);
            assert.ok(onnxGap <= 1e-5, `${w.network.name} on onnxruntime: logits differ by ${onnxGap} of their scale`);
            t.diagnostic(`${w.network.name}: onnxruntime ${onnxGap.toExponential(2)} of the logit scale`);
          } finally {
            await onnx.dispose();
          }
        }
      } finally {
        model.dispose();
      }
    }
  });

  it('reads a safetensors file of the same weights', async () => {
    const w = written.find((x) => x.safetensors);
    assert.ok(w?.safetensors);
    const { model } = await loadedModel(w, w.safetensors);
    try {
      assert.ok(relativeGap(await model.logits(w.input, N), w.logits) <= 1e-5);
    } finally {
      model.dispose();
    }
  });

  it('exports weights that PyTorch loads with strict=True and that give the same logits', async (t) => {
    for (const w of written) {
      const { model, normalization } = await loadedModel(w, w.file);
      try {
        const ours = await model.logits(w.input, N);
        const exported = path.join(dir, `${w.network.name}-export.pt`);
        const state = await model.getState();
        fs.writeFileSync(exported, torchStateDictFile(torchStateDict(w.network, w.shape, state, normalization)));
        const spec = {
          network: networkJson(w.network),
          file: exported,
          input: [N, w.shape.height, w.shape.width, w.shape.channels],
          inputFile: `${exported}.input.bin`,
          logitsFile: `${exported}.logits.json`,
        };
        fs.writeFileSync(spec.inputFile, new Uint8Array(w.input.buffer, w.input.byteOffset, w.input.byteLength));
        fs.writeFileSync(`${exported}.json`, JSON.stringify(spec));
        torchScript('read', `${exported}.json`);
        const theirs = Float32Array.from(JSON.parse(fs.readFileSync(spec.logitsFile, 'utf8')) as number[]);
        const gap = relativeGap(ours, theirs);
        assert.ok(gap <= 1e-5, `${w.network.name}: exported logits differ by ${gap}`);
        t.diagnostic(`${w.network.name}: exported, PyTorch's logits within ${gap.toExponential(2)}`);
      } finally {
        model.dispose();
      }
    }
  });

  it("reads a checkpoint of the user's own nn.Module by its own names (2x2 flatten, BatchNorm1d)", async () => {
    const c = TRAINING_CASES.find((x) => x.file.endsWith('.py'));
    assert.ok(c);
    const network = await networkFromText(c.file, c.text, 10);
    const base = path.join(dir, 'own-module');
    const spec = {
      source: c.text,
      className: 'Tiny',
      seed: 5,
      file: `${base}.pt`,
      input: [N, c.size, c.size, 3],
      inputFile: `${base}.input.bin`,
      logitsFile: `${base}.logits.json`,
    };
    fs.writeFileSync(`${base}.json`, JSON.stringify(spec));
    torchScript('module', `${base}.json`);
    const w: Written = {
      network,
      shape: { height: c.size, width: c.size, channels: 3 },
      file: spec.file,
      input: new Float32Array(fs.readFileSync(spec.inputFile).buffer.slice(0)),
      logits: Float32Array.from(JSON.parse(fs.readFileSync(spec.logitsFile, 'utf8')) as number[]),
    };
    const { model, normalization } = await loadedModel(w, w.file);
    try {
      assert.equal(normalization, undefined, 'the module has no normalisation buffers');
      const gap = relativeGap(await model.logits(w.input, N), w.logits);
      assert.ok(gap <= 1e-5, `Tiny: logits differ by ${gap} of their scale`);
    } finally {
      model.dispose();
    }
  });

  it('lists missing, unexpected and wrongly shaped tensors in one message', async () => {
    const w = written[0];
    assert.ok(w);
    const weights = readTorchWeights(w.file);
    const tensors = new Map(weights.tensors);
    const [first, second] = [...tensors.keys()].filter((k) => k.endsWith('.weight'));
    assert.ok(first && second);
    tensors.delete(first);
    const t = tensors.get(second);
    assert.ok(t);
    tensors.set(second, { ...t, shape: [...t.shape, 1] });
    tensors.set('classifier.extra', t);
    const model = new TfjsClassifier(w.network, { inputShape: w.shape, numClasses: 10, seed: 1 });
    try {
      const before = await model.getState();
      await assert.rejects(applyTorchWeights(model, w.network, w.shape, { ...weights, tensors }), (error: Error) => {
        assert.ok(error instanceof WeightsFileError);
        const quote = (s: string): string => s.replace(/\./g, '\\.');
        const wanted =
          `1 missing: ${quote(first)}; 1 unexpected: classifier\\.extra; ` +
          `1 of the wrong shape: ${quote(second)} is \\[`;
        assert.match(error.message, new RegExp(wanted));
        return true;
      });
      const afterState: ModelState = await model.getState();
      for (const [name, entry] of before.tensors) {
        assert.deepEqual(afterState.tensors.get(name)?.data, entry.data, `${name} must be left as it was`);
      }
    } finally {
      model.dispose();
    }
  });
});
