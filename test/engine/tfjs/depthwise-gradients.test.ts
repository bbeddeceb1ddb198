import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { startWasm } from './backend-compare';
import { checkConvCase } from './conv-cases';
import { outputSize, type ConvCase } from './reference-conv';

// tf.depthwiseConv2d itself (as a model written against tfjs would call it): its gradients on wasm
// are our kernels, with channel multipliers 1 and 3, strides 1 and 2 and tfjs's filter layout
// [kh, kw, channels, multiplier], which is PyTorch's depthwise layout reshaped.

describe('wasm depthwise conv gradient kernels', () => {
  before(startWasm);

  it('match the cpu back end and plain loops', async (t) => {
    let count = 0;
    let worst = 0;
    for (const multiplier of [1, 3]) {
      for (const kernel of [3, 5, 7]) {
        for (const stride of [1, 2]) {
          for (const pad of [0, 3]) {
            const c: ConvCase = {
              batch: 2,
              size: count % 2 ? 7 : 9,
              inChannels: 5,
              outChannels: 5 * multiplier,
              kernel,
              stride,
              dilation: 1,
              pad,
              groups: 5,
            };
            if (outputSize(c) < 1) continue;
            const errors = await checkConvCase(c, 7 * count++, (x, w) =>
              tf.tidy(() =>
                tf.depthwiseConv2d(x, tf.reshape(w, [kernel, kernel, 5, multiplier]), stride, [
                  [0, 0],
                  [pad, pad],
                  [pad, pad],
                  [0, 0],
                ]),
              ),
            );
            worst = Math.max(worst, errors.vsCpu, errors.vsLoops);
          }
        }
      }
    }
    t.diagnostic(`${count} cases, worst relative error ${worst.toExponential(2)}`);
  });
});
