import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { groupedConv2d } from '../../../src/engine/tfjs/grouped-conv2d';
import { startWasm } from './backend-compare';
import { checkConvCase, TOLERANCE } from './conv-cases';
import { outputSize, type ConvCase } from './reference-conv';

// groupedConv2d against plain loops on both back ends. Depthwise cases (one input channel per
// group) run tfjs's depthwise conv, whose gradients on wasm are our DepthwiseConv2dNativeBackprop*
// kernels; the others split, convolve and concatenate.

const GROUPINGS: ReadonlyArray<{ name: string; inChannels: number; outChannels: number; groups: number }> = [
  { name: 'dense', inChannels: 4, outChannels: 4, groups: 1 },
  { name: '2 groups', inChannels: 4, outChannels: 6, groups: 2 },
  { name: '4 groups', inChannels: 8, outChannels: 4, groups: 4 },
  { name: 'depthwise', inChannels: 4, outChannels: 4, groups: 4 },
  { name: 'depthwise x2', inChannels: 3, outChannels: 6, groups: 3 },
];

describe('groupedConv2d', () => {
  before(startWasm);

  for (const grouping of GROUPINGS) {
    it(`matches plain loops, forward and gradients: ${grouping.name}`, async (t) => {
      let worst = 0;
      let count = 0;
      for (const kernel of [1, 3, 5, 7]) {
        for (const stride of [1, 2]) {
          for (const dilation of [1, 2, 3]) {
            for (const pad of [0, 1, 2, 3]) {
              const size = (kernel + dilation + pad + stride) % 2 === 0 ? 9 : 7;
              const c: ConvCase = { batch: 2 + (count % 2), size, kernel, stride, dilation, pad, ...grouping };
              if (outputSize(c) < 1) continue;
              const errors = await checkConvCase(c, 31 * count + grouping.groups, (x, w) =>
                groupedConv2d(x, w, c.groups, stride, dilation, pad),
              );
              worst = Math.max(worst, errors.vsCpu, errors.vsLoops);
              count++;
            }
          }
        }
      }
      t.diagnostic(`${count} cases, worst relative error ${worst.toExponential(2)}`);
      assert.ok(count >= 60, `only ${count} cases ran`);
      assert.ok(worst < TOLERANCE);
    });
  }

  it('refuses groups that do not divide the channels', () => {
    assert.throws(
      () => tf.tidy(() => groupedConv2d(tf.ones([1, 5, 5, 6]), tf.ones([3, 3, 2, 4]), 4, 1, 1, 1)),
      /groups/,
    );
    assert.throws(
      () => tf.tidy(() => groupedConv2d(tf.ones([1, 5, 5, 6]), tf.ones([3, 3, 2, 6]), 2, 1, 1, 1)),
      /per group/,
    );
  });
});
