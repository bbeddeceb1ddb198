import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { randomValues, relativeError, startWasm, valueAndGradients, type ConvResult } from './backend-compare';
import { checkConvCase, TOLERANCE } from './conv-cases';
import { outputSize, type ConvCase } from './reference-conv';

// Our wasm Conv2DBackpropInput and Conv2DBackpropFilter (forward convs on XNNPACK) against the
// cpu back end and against plain loops, over kernels 1/3/5/7, strides 1/2, padding 0..3 and odd
// image sizes, where the cropping and padding of the gradient convs differ case by case.

function cases(): ConvCase[] {
  const out: ConvCase[] = [];
  for (const kernel of [1, 3, 5, 7]) {
    for (const stride of [1, 2]) {
      for (const pad of [0, 1, 2, 3]) {
        for (const size of [7, 9]) {
          const c = {
            batch: size === 7 ? 2 : 3,
            size,
            inChannels: 3,
            outChannels: 4,
            kernel,
            stride,
            dilation: 1,
            pad,
            groups: 1,
          };
          if (outputSize(c) >= 1) out.push(c);
        }
      }
    }
  }
  return out;
}

function check(
  name: string,
  result: ConvResult,
  expected: { y: ArrayLike<number>; dx: ArrayLike<number>; dw: ArrayLike<number> },
): void {
  for (const key of ['y', 'dx', 'dw'] as const) {
    const error = relativeError(result[key], expected[key]);
    assert.ok(error < TOLERANCE, `${name} ${key}: relative error ${error.toExponential(2)}`);
  }
}

describe('wasm conv2d gradient kernels', () => {
  before(startWasm);

  it('match the cpu back end and plain loops for kernels 1-7, strides 1-2, padding 0-3', async (t) => {
    let worst = 0;
    const all = cases();
    for (const [index, c] of all.entries()) {
      const errors = await checkConvCase(c, 10 + 3 * index, (x, w) =>
        tf.conv2d(x, w, c.stride, [
          [0, 0],
          [c.pad, c.pad],
          [c.pad, c.pad],
          [0, 0],
        ]),
      );
      worst = Math.max(worst, errors.vsCpu, errors.vsLoops);
    }
    t.diagnostic(`${all.length} cases, worst relative error ${worst.toExponential(2)}`);
  });

  it("handle tfjs's own padding modes (same, valid), a 1x1 stride-2 shortcut and wider channels", async () => {
    const shapes: Array<{ k: number; s: number; pad: 'same' | 'valid'; size: number; cin: number; cout: number }> = [
      { k: 3, s: 2, pad: 'same', size: 8, cin: 5, cout: 6 },
      { k: 3, s: 1, pad: 'same', size: 9, cin: 5, cout: 6 },
      { k: 5, s: 2, pad: 'valid', size: 9, cin: 5, cout: 6 },
      { k: 1, s: 2, pad: 'valid', size: 8, cin: 5, cout: 6 },
      { k: 3, s: 2, pad: 'same', size: 9, cin: 17, cout: 19 },
      { k: 3, s: 1, pad: 'same', size: 8, cin: 19, cout: 17 },
    ];
    for (const [index, { k, s, pad, size, cin, cout }] of shapes.entries()) {
      const x = {
        values: randomValues(2 * size * size * cin, index),
        shape: [2, size, size, cin] as [number, number, number, number],
      };
      const w = {
        values: randomValues(k * k * cin * cout, 50 + index),
        shape: [k, k, cin, cout] as [number, number, number, number],
      };
      const conv = (a: tf.Tensor4D, b: tf.Tensor4D): tf.Tensor4D => tf.conv2d(a, b, s, pad);
      check(
        `k${k} s${s} ${pad}`,
        await valueAndGradients('wasm', conv, x, w, index),
        await valueAndGradients('cpu', conv, x, w, index),
      );
    }
  });

  it('run conv2dTranspose (a Conv2DBackpropInput forward) as the cpu back end does', async () => {
    const dy = randomValues(2 * 5 * 5 * 4, 7);
    const filter = randomValues(3 * 3 * 3 * 4, 8);
    const run = async (backend: string): Promise<Float32Array> => {
      await tf.setBackend(backend);
      const out = tf.tidy(() =>
        tf.conv2dTranspose(tf.tensor4d(dy, [2, 5, 5, 4]), tf.tensor4d(filter, [3, 3, 3, 4]), [2, 10, 10, 3], 2, 'same'),
      );
      const values = out.dataSync() as Float32Array;
      out.dispose();
      return values;
    };
    const error = relativeError(await run('wasm'), await run('cpu'));
    assert.ok(error < TOLERANCE, `relative error ${error}`);
  });
});
