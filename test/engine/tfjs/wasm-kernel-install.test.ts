import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import {
  installWasmGradientKernels,
  restoreStockWasmKernels,
  wasmGradientKernelsInstalled,
} from '../../../src/engine/tfjs/wasm-gradient-kernels';
import { startWasm } from './backend-compare';

// What the stock wasm back end cannot do, and that installing our kernels (once or twice) fixes it.

function weightGradients(): { conv: number; depthwise: number } {
  return tf.tidy(() => {
    const x = tf.ones([1, 4, 4, 2]) as tf.Tensor4D;
    const conv = tf.grad((w: tf.Tensor) => tf.sum(tf.conv2d(x, w as tf.Tensor4D, 1, 'same')))(tf.ones([3, 3, 2, 2]));
    const depthwise = tf.grad((w: tf.Tensor) => tf.sum(tf.depthwiseConv2d(x, w as tf.Tensor4D, 1, 'same')))(
      tf.ones([3, 3, 2, 1]),
    );
    return { conv: tf.sum(conv).dataSync()[0] ?? NaN, depthwise: tf.sum(depthwise).dataSync()[0] ?? NaN };
  });
}

describe('installWasmGradientKernels', () => {
  before(startWasm);

  it('adds the weight gradients stock wasm lacks, and restoring brings the failure back', async () => {
    await tf.setBackend('wasm');
    restoreStockWasmKernels();
    assert.equal(wasmGradientKernelsInstalled(), false);
    assert.throws(() => weightGradients(), /Conv2DBackpropFilter' not registered for backend 'wasm'/);
    installWasmGradientKernels();
    installWasmGradientKernels();
    assert.ok(wasmGradientKernelsInstalled());
    const sums = weightGradients();
    await tf.setBackend('cpu');
    assert.deepEqual(sums, weightGradients());
  });

  it('free every intermediate tensor on the wasm heap', async () => {
    await tf.setBackend('wasm');
    const grads = (): void => {
      const result = tf.tidy(() => {
        // 8x8: the 1x1 stride-2 weight gradient crops the input; the 7x7 stride-2 input gradient runs in phases.
        const x = tf.randomNormal([2, 8, 8, 4]) as tf.Tensor4D;
        const loss = (a: tf.Tensor, w: tf.Tensor, d: tf.Tensor): tf.Scalar =>
          tf.sum(
            tf.add(
              tf.sum(
                tf.conv2d(a as tf.Tensor4D, w as tf.Tensor4D, 2, [
                  [0, 0],
                  [3, 3],
                  [3, 3],
                  [0, 0],
                ]),
              ),
              tf.sum(tf.maxPool(tf.depthwiseConv2d(a as tf.Tensor4D, d as tf.Tensor4D, 2, 'valid'), 3, 2, 1)),
            ),
          );
        return tf.grads(loss)([x, tf.randomNormal([7, 7, 4, 3]), tf.randomNormal([1, 1, 4, 2])]);
      });
      tf.dispose(result);
    };
    grads();
    const before = tf.engine().backend.numDataIds();
    grads();
    grads();
    assert.equal(tf.engine().backend.numDataIds(), before);
  });
});
