import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { installWasmGradientKernels, restoreStockWasmKernels } from '../../../src/engine/tfjs/wasm-gradient-kernels';
import { randomValues, relativeError, startWasm } from './backend-compare';

// Our wasm MaxPoolGrad against the cpu back end, above all where every value of a window is
// negative (the stock wasm kernel sends that window's gradient to the wrong pixel), with tfjs's
// padding modes and PyTorch's (3x3, stride 2, pad 1), and with ties.

type Pad = 'valid' | 'same' | number;

async function poolAndGradient(
  backend: string,
  x: Float32Array,
  shape: [number, number, number, number],
  size: number,
  stride: number,
  pad: Pad,
): Promise<{ y: Float32Array; dx: Float32Array }> {
  await tf.setBackend(backend);
  const [y, dx] = tf.tidy(() => {
    const input = tf.tensor4d(x, shape);
    const pool = (t: tf.Tensor4D): tf.Tensor4D => tf.maxPool(t, size, stride, pad);
    const out = pool(input);
    const cotangent = tf.tensor(randomValues(out.size, 99), out.shape);
    return [out, tf.grad((t: tf.Tensor) => tf.sum(tf.mul(pool(t as tf.Tensor4D), cotangent)))(input)];
  });
  const result = { y: y.dataSync() as Float32Array, dx: dx.dataSync() as Float32Array };
  tf.dispose([y, dx]);
  return result;
}

function shifted(values: Float32Array, by: number): Float32Array {
  return values.map((v) => v + by);
}

describe('wasm MaxPoolGrad', () => {
  before(startWasm);

  it('matches the cpu back end for all-negative, mixed-sign and tied windows', async () => {
    const geometries: Array<{ size: number; stride: number; pad: Pad }> = [
      { size: 2, stride: 2, pad: 'valid' },
      { size: 3, stride: 2, pad: 1 },
      { size: 3, stride: 1, pad: 'same' },
      { size: 3, stride: 2, pad: 'same' },
      { size: 2, stride: 1, pad: 0 },
      { size: 3, stride: 3, pad: 'valid' },
    ];
    let index = 0;
    for (const g of geometries) {
      for (const side of [7, 9]) {
        const shape: [number, number, number, number] = [2 + (index % 2), side, side, 3];
        const base = randomValues(
          shape.reduce((a, b) => a * b, 1),
          index++,
        );
        const inputs = {
          'all negative': shifted(base, -3),
          'mixed sign': base,
          ties: base.map((v) => Math.round(v * 2) - 4),
        };
        for (const [kind, x] of Object.entries(inputs)) {
          const wasm = await poolAndGradient('wasm', x, shape, g.size, g.stride, g.pad);
          const cpu = await poolAndGradient('cpu', x, shape, g.size, g.stride, g.pad);
          const name = `${kind} ${g.size}x${g.size} s${g.stride} pad ${g.pad} ${side}x${side}`;
          assert.ok(relativeError(wasm.y, cpu.y) < 1e-6, `${name}: forward differs`);
          assert.ok(
            relativeError(wasm.dx, cpu.dx) < 1e-6,
            `${name}: gradient differs by ${relativeError(wasm.dx, cpu.dx)}`,
          );
        }
      }
    }
  });

  it('replaces a stock kernel that is wrong on an all-negative window', async () => {
    const x = new Float32Array([-1, -5, -3, -2, -0.5, -4, -6, -7, -8]);
    const expected = [0, 0, 0, 0, 1, 0, 0, 0, 0];
    // Which pixels receive gradient: only the window's maximum, -0.5, should.
    const gradient = async (): Promise<number[]> =>
      Array.from((await poolAndGradient('wasm', x, [1, 3, 3, 1], 3, 1, 'valid')).dx, (v) => (v === 0 ? 0 : 1));
    restoreStockWasmKernels();
    try {
      assert.notDeepEqual(
        await gradient(),
        expected,
        'the stock wasm MaxPoolGrad now handles negative windows: this kernel may be retired',
      );
    } finally {
      installWasmGradientKernels();
    }
    assert.deepEqual(await gradient(), expected);
  });
});
