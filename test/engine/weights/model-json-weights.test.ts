/**
 * TF.js model.json weights read without tfjs (src/engine/weights/model-json-weights.ts) against
 * what tfjs itself loads from the same files: the bundled models, and a copy quantised as the
 * TF.js converter quantises (uint8 and uint16 with a scale and minimum).
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as esbuild from 'esbuild';
import type { ModelState } from '../../../src/engine/model/classifier';
import { LayersClassifier } from '../../../src/engine/tfjs/layers-classifier';
import { selectTfjsBackend } from '../../../src/engine/tfjs/select-backend';
import { readModelJsonWeights } from '../../../src/engine/weights/model-json-weights';
import { repoPath } from '../../helpers/paths';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rl-model-json-weights-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

async function tfjsState(modelJson: string): Promise<ModelState> {
  const model = await LayersClassifier.load(modelJson);
  try {
    return await model.getState();
  } finally {
    model.dispose();
  }
}

function assertSame(ours: ModelState, theirs: ModelState, label: string): void {
  assert.deepEqual([...ours.tensors.keys()].sort(), [...theirs.tensors.keys()].sort(), label);
  for (const [name, t] of theirs.tensors) {
    const o = ours.tensors.get(name);
    assert.ok(o, name);
    assert.deepEqual([...o.shape], [...t.shape], `${label}: ${name}`);
    assert.ok(
      t.data.every((v, i) => Object.is(v, o.data[i])),
      `${label}: ${name} differs`,
    );
  }
}

/** A copy of `modelJson` whose weights are stored quantised, alternating uint8 and uint16. */
function quantisedCopy(modelJson: string, into: string): string {
  fs.mkdirSync(into, { recursive: true });
  const json = JSON.parse(fs.readFileSync(modelJson, 'utf8')) as {
    weightsManifest: { paths: string[]; weights: { name: string; shape: number[]; dtype: string }[] }[];
  };
  const source = readModelJsonWeights(modelJson);
  const chunks: Buffer[] = [];
  const weights = json.weightsManifest.flatMap((g) => g.weights);
  weights.forEach((w, k) => {
    const data = (source.tensors.get(w.name) as { data: Float32Array }).data;
    const dtype = k % 2 === 0 ? 'uint8' : 'uint16';
    const levels = dtype === 'uint8' ? 255 : 65535;
    const min = Math.min(...data);
    const max = Math.max(...data);
    const scale = max > min ? (max - min) / levels : 1;
    const q = Array.from(data, (v) => Math.round((v - min) / scale));
    const buffer = Buffer.alloc(q.length * (dtype === 'uint8' ? 1 : 2));
    q.forEach((v, i) => (dtype === 'uint8' ? buffer.writeUInt8(v, i) : buffer.writeUInt16LE(v, 2 * i)));
    chunks.push(buffer);
    Object.assign(w, { quantization: { dtype, scale, min } });
  });
  fs.writeFileSync(path.join(into, 'weights.bin'), Buffer.concat(chunks));
  json.weightsManifest = [{ paths: ['weights.bin'], weights }];
  const out = path.join(into, 'model.json');
  fs.writeFileSync(out, JSON.stringify(json));
  return out;
}

describe('model.json weights without tfjs', () => {
  before(async () => {
    await selectTfjsBackend('cpu');
  });

  for (const example of ['mnist-small', 'resnet-cifar']) {
    it(`reads ${example}'s weights exactly as tfjs loads them`, async () => {
      const file = repoPath('examples', 'tfjs', example, 'model.json');
      assertSame(readModelJsonWeights(file), await tfjsState(file), example);
    });
  }

  it('decodes quantised weights (uint8, uint16) as tfjs does', async () => {
    const file = quantisedCopy(repoPath('examples', 'tfjs', 'mnist-small', 'model.json'), path.join(dir, 'q'));
    const ours = readModelJsonWeights(file);
    assertSame(ours, await tfjsState(file), 'quantised');
    // Not the float32 values: the quantisation really was read.
    const original = readModelJsonWeights(repoPath('examples', 'tfjs', 'mnist-small', 'model.json'));
    const [name, t] = [...original.tensors][0] as [string, { data: Float32Array }];
    assert.ok(t.data.some((v, i) => v !== ours.tensors.get(name)?.data[i]));
  });

  it('refuses weight files that end too early, naming the weight', () => {
    const file = quantisedCopy(repoPath('examples', 'tfjs', 'mnist-small', 'model.json'), path.join(dir, 'cut'));
    const bin = path.join(dir, 'cut', 'weights.bin');
    fs.writeFileSync(bin, fs.readFileSync(bin).subarray(0, 100));
    assert.throws(() => readModelJsonWeights(file), /the weight files end inside \S+/);
  });

  it('loads no tfjs', async () => {
    const result = await esbuild.build({
      entryPoints: [repoPath('src/engine/weights/model-json-weights.ts')],
      bundle: true,
      write: false,
      metafile: true,
      platform: 'node',
      format: 'cjs',
      logLevel: 'silent',
    });
    assert.deepEqual(
      Object.keys(result.metafile.inputs).filter((f) => /@tensorflow/.test(f)),
      [],
    );
  });
});
