/**
 * The model builder's ordinary conv: PyTorch's Conv2d arithmetic (symmetric padding, stride,
 * dilation) with gradients on every tfjs back end.
 */
import * as tf from '@tensorflow/tfjs-core';
import { convWithDilation, type PlainConv } from './conv-dilation';

const plainConv: PlainConv = (x, w, stride, pad) => tf.conv2d(x, w, stride, pad);

/**
 * x [n, h, w, in] (NHWC) convolved with w [kh, kw, in, out]; `padding` zeros on every side, as in
 * PyTorch (pad=1 for 3x3, pad=3 for 7x7 stride 2).
 */
export function dilatedConv2d(
  x: tf.Tensor4D,
  w: tf.Tensor4D,
  stride: number,
  dilation: number,
  padding: number,
): tf.Tensor4D {
  if (x.shape[3] !== w.shape[2]) {
    throw new Error(`conv input has ${x.shape[3]} channels but its kernel expects ${w.shape[2]}`);
  }
  return convWithDilation(x, w, stride, dilation, padding, plainConv);
}
