import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import type { TensorDict } from '../../../src/engine/weights/host-tensor';
import { readSafetensors, writeSafetensors } from '../../../src/engine/weights/safetensors';
import { readStateDictFile } from '../../../src/engine/weights/state-dict';
import { torchStateDictFile } from '../../../src/engine/weights/torch-writer';
import { WeightsFileError } from '../../../src/engine/weights/weights-error';
import { random } from '../../helpers/fuzz';
import { NO_TORCH, PYTHON, tempDir, torchScript } from './torch-support';

const dir = tempDir();
after(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('torch.save files read without Python', { skip: NO_TORCH }, () => {
  it('reads every dtype, transposed and offset views and shared storages as float32', () => {
    const file = path.join(dir, 'dtypes.pt');
    const expectedFile = path.join(dir, 'dtypes.json');
    torchScript('dtypes', file, expectedFile);
    type Expected = Record<string, { shape: number[]; values: number[] }>;
    const expected = JSON.parse(fs.readFileSync(expectedFile, 'utf8')) as Expected;
    const read = readStateDictFile(file);
    assert.deepEqual(read.notes, ['the weights are under "model_state_dict"']);
    assert.deepEqual([...read.tensors.keys()], Object.keys(expected));
    for (const [name, want] of Object.entries(expected)) {
      const got = read.tensors.get(name);
      assert.ok(got, name);
      assert.deepEqual(got.shape, want.shape, name);
      assert.deepEqual(
        Array.from(got.data),
        want.values.map((v) => Math.fround(v)),
        name,
      );
    }
    assert.equal(read.tensors.get('f16')?.dtype, 'float16');
    assert.equal(read.tensors.get('i64')?.dtype, 'int64');
  });

  it('refuses a pickle that references os.system, by name, without running it', () => {
    const file = path.join(dir, 'evil.pt');
    const marker = path.join(dir, 'ran-os-system');
    torchScript('evil', file, marker);
    assert.equal(fs.existsSync(marker), false, 'saving must not have run the payload');
    assert.throws(
      () => readStateDictFile(file),
      (error: Error) => {
        assert.ok(error instanceof WeightsFileError);
        assert.match(error.message, /^refused: evil\.pt references (posix|os|nt)\.system/);
        return true;
      },
    );
    assert.equal(fs.existsSync(marker), false, 'reading must not have run the payload');
  });

  it('says where a truncated or foreign file goes wrong instead of reading past it', () => {
    const whole = fs.readFileSync(path.join(dir, 'dtypes.pt'));
    const cut = path.join(dir, 'cut.pt');
    fs.writeFileSync(cut, whole.subarray(0, Math.floor(whole.length * 0.6)));
    assert.throws(() => readStateDictFile(cut), /cut\.pt: not a zip archive|cut\.pt: .*(past the end|truncated)/);
    const text = path.join(dir, 'notes.pt');
    fs.writeFileSync(text, 'hello');
    assert.throws(() => readStateDictFile(text), /notes\.pt is not a torch\.save zip file/);
  });

  it('writes a state dict torch.load reads back exactly (float32 and int64 counters)', () => {
    const dtype = 'float32';
    const tensors: TensorDict = new Map([
      ['conv.weight', { shape: [2, 3, 1, 2], data: Float32Array.from({ length: 12 }, (_, i) => i / 3 - 1), dtype }],
      ['bn.num_batches_tracked', { shape: [], data: Float32Array.of(42), dtype: 'int64' }],
      ['scale', { shape: [1], data: Float32Array.of(-0.125), dtype: 'float32' }],
    ]);
    const file = path.join(dir, 'ours.pt');
    fs.writeFileSync(file, torchStateDictFile(tensors));
    const check = `import torch, json, sys
sd = torch.load(sys.argv[1])
print(json.dumps({k: [list(v.shape), str(v.dtype), v.reshape(-1).tolist()] for k, v in sd.items()}))`;
    const out = spawnSync(PYTHON, ['-c', check, file], { encoding: 'utf8' });
    assert.equal(out.status, 0, out.stderr);
    const loaded = JSON.parse(out.stdout) as Record<string, [number[], string, number[]]>;
    const conv = Array.from(tensors.get('conv.weight')?.data ?? []);
    assert.deepEqual(loaded['conv.weight'], [[2, 3, 1, 2], 'torch.float32', conv]);
    assert.deepEqual(loaded['bn.num_batches_tracked'], [[], 'torch.int64', [42]]);
    assert.deepEqual(loaded.scale, [[1], 'torch.float32', [-0.125]]);
    // And our own reader reads what we wrote.
    const again = readStateDictFile(file).tensors;
    assert.deepEqual(Array.from(again.get('conv.weight')?.data ?? []), conv);
  });
});

describe('safetensors', () => {
  it('round-trips float32 and int64 tensors and refuses offsets outside the file', () => {
    const tensors: TensorDict = new Map([
      ['a.weight', { shape: [2, 2], data: Float32Array.of(1, -2, 3.5, 0), dtype: 'float32' }],
      ['n', { shape: [], data: Float32Array.of(9), dtype: 'int64' }],
    ]);
    const bytes = writeSafetensors(tensors, { format: 'pt' });
    assert.equal(Number(Buffer.from(bytes).readBigUInt64LE(0)) % 8, 0);
    const read = readSafetensors(bytes, 'x.safetensors');
    assert.deepEqual([...read.keys()], ['a.weight', 'n']);
    assert.deepEqual(Array.from(read.get('a.weight')?.data ?? []), [1, -2, 3.5, 0]);
    assert.equal(read.get('n')?.dtype, 'int64');
    const short = bytes.subarray(0, bytes.length - 4);
    assert.throws(() => readSafetensors(short, 'short.st'), /short\.st: n's data \[16, 24\) lies outside the file/);
    const huge = Buffer.from(bytes);
    huge.writeBigUInt64LE(1n << 40n, 0);
    assert.throws(() => readSafetensors(huge, 'huge.safetensors'), /header claims \d+ bytes, more than the file holds/);
  });
});

const F32 = 'float32';

describe('damaged weights files', () => {
  it('fail with a WeightsFileError, never another error, whatever bytes are changed', () => {
    const tensors: TensorDict = new Map([
      ['stem.0.weight', { shape: [4, 3, 3, 3], data: Float32Array.from({ length: 108 }, (_, i) => i), dtype: F32 }],
      ['stem.1.num_batches_tracked', { shape: [], data: Float32Array.of(3), dtype: 'int64' }],
      ['head.1.1.bias', { shape: [10], data: new Float32Array(10), dtype: 'float32' }],
    ]);
    const sources = [
      { name: 'w.pt', bytes: torchStateDictFile(tensors) },
      { name: 'w.safetensors', bytes: writeSafetensors(tensors) },
    ];
    const rand = random(7);
    const refused = new Map<string, number>();
    for (const source of sources) {
      for (let c = 0; c < 400; c++) {
        const bytes = Buffer.from(source.bytes);
        for (let e = 0, edits = 1 + Math.floor(rand() * 6); e < edits; e++) {
          bytes[Math.floor(rand() * bytes.length)] = Math.floor(rand() * 256);
        }
        const file = path.join(dir, `fuzz-${c}-${source.name}`);
        fs.writeFileSync(file, rand() < 0.2 ? bytes.subarray(0, Math.floor(rand() * bytes.length)) : bytes);
        try {
          readStateDictFile(file);
        } catch (error) {
          const what = (error as Error).stack ?? String(error);
          assert.ok(error instanceof WeightsFileError, `${source.name} case ${c}: ${what}`);
          refused.set(source.name, (refused.get(source.name) ?? 0) + 1);
        } finally {
          fs.rmSync(file);
        }
      }
    }
    // Zip entries carry a CRC-32: a changed weight is refused, not loaded as a wrong number (bytes
    // that carry nothing, such as alignment padding, may change unnoticed)
    // (safetensors has no checksum: a changed data byte is a changed weight).
    assert.ok((refused.get('w.pt') ?? 0) >= 350, `only ${refused.get('w.pt')} of 400 damaged .pt files were refused`);
    const safetensors = refused.get('w.safetensors') ?? 0;
    assert.ok(safetensors > 100, `${safetensors} damaged .safetensors refused`);
  });
});
