/**
 * PyTorch's Conv2d with `groups`, which tfjs has no argument for. A depthwise conv (one input
 * channel per group) uses tfjs's depthwise conv; other groupings split the channels, convolve each
 * group and concatenate, which costs no extra arithmetic (a block-diagonal dense kernel would cost
 * `groups` times as much).
 */
import * as tf from '@tensorflow/tfjs-core';
import { convWithDilation, type PlainConv } from './conv-dilation';

function splitConv(groups: number): PlainConv {
  return (x, w, stride, pad) =>
    tf.tidy(() => {
      const xs = tf.split<tf.Tensor4D>(x, groups, 3);
      const ws = tf.split<tf.Tensor4D>(w, groups, 3);
      return tf.concat4d(
        xs.map((xg, g) => tf.conv2d<tf.Tensor4D>(xg, ws[g] as tf.Tensor4D, stride, pad)),
        3,
      );
    });
}

/**
 * x [n, h, w, in] convolved with w [kh, kw, in / groups, out], PyTorch's grouping: output channels
 * [g * out/groups, (g + 1) * out/groups) read input channels [g * in/groups, (g + 1) * in/groups).
 */
export function groupedConv2d(
  x: tf.Tensor4D,
  w: tf.Tensor4D,
  groups: number,
  stride: number,
  dilation: number,
  pad: number,
): tf.Tensor4D {
  const channels = x.shape[3];
  const [kh, kw, perGroup, out] = w.shape;
  if (!Number.isInteger(groups) || groups < 1 || channels % groups !== 0 || out % groups !== 0) {
    throw new Error(`conv groups (${groups}) must divide its ${channels} input and ${out} output channels`);
  }
  if (perGroup * groups !== channels) {
    throw new Error(
      `grouped conv kernel reads ${perGroup} channels per group; ${channels} channels in ` +
        `${groups} groups need ${channels / groups}`,
    );
  }
  if (groups === 1) return convWithDilation(x, w, stride, dilation, pad, (a, b, s, p) => tf.conv2d(a, b, s, p));
  if (perGroup === 1) {
    // Output channel g * m + q of PyTorch's depthwise conv is tfjs's channel g, multiplier q.
    return tf.tidy(() =>
      convWithDilation(x, tf.reshape(w, [kh, kw, channels, out / channels]), stride, dilation, pad, (a, b, s, p) =>
        tf.depthwiseConv2d(a, b, s, p),
      ),
    );
  }
  return convWithDilation(x, w, stride, dilation, pad, splitConv(groups));
}
