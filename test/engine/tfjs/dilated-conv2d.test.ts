import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { dilatedConv2d } from '../../../src/engine/tfjs/dilated-conv2d';
import { startWasm } from './backend-compare';
import { checkConvCase, TOLERANCE } from './conv-cases';
import { outputSize, type ConvCase } from './reference-conv';

// dilatedConv2d (PyTorch's Conv2d arithmetic with gradients, which tfjs lacks for dilation > 1)
// against plain loops on both back ends: stride-1 dilation goes through spaceToBatchND phases,
// strided dilation through a zero-spread kernel, dilation 1 straight to conv2d.

describe('dilatedConv2d', () => {
  before(startWasm);

  it(
    'matches plain loops, forward and gradients, for kernels 1-7, dilation 1-3, stride 1-2, ' + 'padding 0-3',
    async (t) => {
      let worst = 0;
      let count = 0;
      for (const kernel of [1, 3, 5, 7]) {
        for (const dilation of [1, 2, 3]) {
          for (const stride of [1, 2]) {
            for (const pad of [0, 1, 2, 3]) {
              const size = (kernel + dilation + pad) % 2 === 0 ? 9 : 7;
              const c: ConvCase = {
                batch: 2 + (count % 2),
                size,
                inChannels: 3,
                outChannels: 4,
                kernel,
                stride,
                dilation,
                pad,
                groups: 1,
              };
              if (outputSize(c) < 1) continue;
              const errors = await checkConvCase(c, 17 * count + 3, (x, w) =>
                dilatedConv2d(x, w, stride, dilation, pad),
              );
              worst = Math.max(worst, errors.vsCpu, errors.vsLoops);
              count++;
            }
          }
        }
      }
      t.diagnostic(`${count} cases, worst relative error ${worst.toExponential(2)}`);
      assert.ok(count > 60, `only ${count} cases ran`);
      assert.ok(worst < TOLERANCE);
    },
  );

  it("keeps PyTorch's output size for a 7x7 stride-2 stem (pad 3) on a 9x9 image", async () => {
    await tf.setBackend('wasm');
    const y = tf.tidy(() => dilatedConv2d(tf.ones([1, 9, 9, 3]), tf.ones([7, 7, 3, 2]), 2, 1, 3));
    assert.deepEqual(y.shape, [1, 5, 5, 2]);
    y.dispose();
  });

  it('refuses a window that does not fit and a kernel with the wrong channel count', () => {
    assert.throws(
      () => tf.tidy(() => dilatedConv2d(tf.ones([1, 5, 5, 3]), tf.ones([3, 3, 3, 2]), 1, 3, 0)),
      /does not fit/,
    );
    assert.throws(
      () => tf.tidy(() => dilatedConv2d(tf.ones([1, 5, 5, 3]), tf.ones([3, 3, 4, 2]), 1, 1, 1)),
      /channels/,
    );
  });
});
