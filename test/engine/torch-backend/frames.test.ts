/**
 * The torch worker's frames on the TypeScript side: headers padded so the payload starts 8-aligned,
 * arrays read as views of the bytes they arrived in (copied only when a writer left them unaligned),
 * frames cut correctly out of any chunking; and, with Debian's PyTorch, the worker started on the
 * engine's thread count, saying so, and answering many small calls in order.
 */
import assert from 'node:assert/strict';
import * as os from 'node:os';
import { describe, it } from 'node:test';
import type { NetworkJson } from '../../../src/engine/pytorch/network-json';
import { encodeFrame, FrameReader, type Frame } from '../../../src/engine/torch-backend/frames';
import { TorchClassifier } from '../../../src/engine/torch-backend/torch-classifier';
import { NO_TORCH, PYTHON } from '../weights/torch-support';

function readAll(bytes: Buffer, chunk: number): Frame[] {
  const reader = new FrameReader();
  const frames: Frame[] = [];
  for (let at = 0; at < bytes.length; at += chunk) frames.push(...reader.push(bytes.subarray(at, at + chunk)));
  return frames;
}

describe('torch worker frames', () => {
  it('pads the header so the payload starts at a multiple of 8, whatever the header holds', () => {
    for (const op of ['x', 'logits', 'a longer name', 'ü'.repeat(3)]) {
      const frame = encodeFrame({ op }, [['v', new Float32Array([1, 2, 3]), [3]]]);
      const headerBytes = frame.readUInt32LE(4);
      assert.equal((16 + headerBytes) % 8, 0, op);
      assert.equal(frame.length, 16 + headerBytes + 12);
      const [read] = readAll(frame, frame.length);
      assert.equal(read?.header.op, op);
    }
  });

  it('reads arrays as views of the frame when aligned, and the same values through any chunking', () => {
    const x = Float32Array.from({ length: 3000 }, (_, i) => i / 7);
    const y = Int32Array.from({ length: 5 }, (_, i) => -i);
    const one = encodeFrame({ op: 'a' }, [
      ['x', x, [30, 100]],
      ['y', y, [5]],
    ]);
    const two = encodeFrame({ op: 'b' }, [['y', y, [5]]]);
    const both = Buffer.concat([one, two]);
    for (const chunk of [1, 7, 4096, both.length]) {
      const frames = readAll(both, chunk);
      assert.deepEqual(
        frames.map((f) => f.header.op),
        ['a', 'b'],
        `chunk ${chunk}`,
      );
      const [a] = frames;
      assert.deepEqual(a?.arrays.get('x')?.data, x);
      assert.deepEqual(a?.arrays.get('x')?.shape, [30, 100]);
      assert.deepEqual(a?.arrays.get('y')?.data, y);
      assert.ok(a?.arrays.get('y')?.data instanceof Int32Array);
    }
    // Read whole: no copy, both arrays lie in the one buffer the frame arrived in.
    const [whole] = readAll(one, one.length);
    assert.equal(whole?.arrays.get('x')?.data.buffer, whole?.arrays.get('y')?.data.buffer);
    assert.equal(whole?.arrays.get('x')?.data.buffer, one.buffer);
  });

  it('copies the arrays of a frame whose writer did not pad its header', () => {
    const header = Buffer.from(JSON.stringify({ op: 'u', arrays: [{ name: 'v', dtype: 'f32', shape: [2] }] }));
    const odd = (16 + header.length) % 4 === 0 ? Buffer.concat([header, Buffer.from(' ')]) : header;
    const prefix = Buffer.alloc(16);
    prefix.write('RLTW', 0, 'latin1');
    prefix.writeUInt32LE(odd.length, 4);
    prefix.writeBigUInt64LE(8n, 8);
    const payload = Buffer.from(new Float32Array([1.5, -2]).buffer);
    const [frame] = readAll(Buffer.concat([prefix, odd, payload]), 1 << 20);
    const v = frame?.arrays.get('v')?.data;
    assert.deepEqual(Array.from(v ?? []), [1.5, -2]);
    assert.equal(v?.byteOffset, 0, 'an unaligned array is copied into a buffer of its own');
  });
});

describe('torch worker process', { skip: NO_TORCH }, () => {
  it('runs PyTorch on the engine thread count by default, says so, and answers many small calls in order', async () => {
    const network: NetworkJson = {
      name: 'tiny',
      inputChannels: 1,
      stem: [],
      blocks: [],
      head: [{ kind: 'linear', name: 'l', in: 16, out: 3, bias: true }],
    };
    const model = await TorchClassifier.create({
      python: PYTHON,
      source: { kind: 'ir', network },
      inputShape: { height: 4, width: 4, channels: 1 },
      device: 'cpu',
      seed: 0,
    });
    try {
      const threads = os.availableParallelism();
      assert.match(model.info.deviceName, new RegExp(`, ${threads} threads?\\)`));
      const state = await model.getState();
      const named = (end: string): { data: Float32Array } | undefined =>
        [...state.tensors].find(([name]) => name.startsWith('head.') && name.endsWith(end))?.[1];
      const weight = named('.weight');
      const bias = named('.bias');
      assert.ok(weight && bias);
      // 200 one-image calls in flight at once: each answer must match its own image.
      const images = Array.from({ length: 200 }, (_, i) =>
        Float32Array.from({ length: 16 }, (_, j) => ((i * j) % 17) / 17),
      );
      const answers = await Promise.all(images.map((x) => model.logits(x, 1)));
      for (const [i, x] of images.entries()) {
        for (let c = 0; c < 3; c++) {
          let z = bias.data[c] as number;
          for (let j = 0; j < 16; j++) z += (weight.data[c * 16 + j] as number) * (x[j] as number);
          assert.ok(Math.abs((answers[i]?.[c] as number) - z) < 1e-5, `image ${i} class ${c}`);
        }
      }
    } finally {
      await model.dispose();
    }
  });
});
