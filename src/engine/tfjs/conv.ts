import * as tf from '@tensorflow/tfjs-core';
import { dilatedConv2d } from './dilated-conv2d';
import { groupedConv2d } from './grouped-conv2d';
import { UnsupportedModelError } from './unsupported-model-error';

export interface ConvGeometry {
  readonly stride: readonly [number, number];
  /** Symmetric zero padding, PyTorch style. */
  readonly padding: readonly [number, number];
  readonly dilation: readonly [number, number];
  readonly groups: number;
}

/**
 * A PyTorch-semantics 2-D convolution on NHWC input with an HWIO kernel ([kh, kw, cin/groups,
 * cout]). tfjs has no groups argument and no gradient for dilation > 1, so those go through our
 * grouped and dilated formulations, which have gradients on every back end.
 */
export function conv2d(x: tf.Tensor4D, w: tf.Tensor4D, g: ConvGeometry): tf.Tensor4D {
  const square = g.stride[0] === g.stride[1] && g.padding[0] === g.padding[1] && g.dilation[0] === g.dilation[1];
  if (square && g.groups > 1) return groupedConv2d(x, w, g.groups, g.stride[0], g.dilation[0], g.padding[0]);
  if (square && g.dilation[0] > 1) return dilatedConv2d(x, w, g.stride[0], g.dilation[0], g.padding[0]);
  if (g.dilation[0] > 1 || g.dilation[1] > 1) {
    throw new UnsupportedModelError(
      `a conv with dilation ${g.dilation[0]}x${g.dilation[1]} and stride ` +
        `${g.stride[0]}x${g.stride[1]} has no gradient in tfjs unless stride, padding and ` +
        `dilation are square`,
    );
  }
  const pad: [[number, number], [number, number], [number, number], [number, number]] = [
    [0, 0],
    [g.padding[0], g.padding[0]],
    [g.padding[1], g.padding[1]],
    [0, 0],
  ];
  const strides: [number, number] = [g.stride[0], g.stride[1]];
  if (g.groups === 1) return tf.conv2d(x, w, strides, pad);
  const xs = tf.split(x, g.groups, 3) as tf.Tensor4D[];
  const ws = tf.split(w, g.groups, 3) as tf.Tensor4D[];
  return tf.concat4d(
    xs.map((xi, i) => tf.conv2d(xi, ws[i] as tf.Tensor4D, strides, pad)),
    3,
  );
}
