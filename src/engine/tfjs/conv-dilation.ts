/**
 * PyTorch-style convs (symmetric zero padding, any stride and dilation) built from tfjs convs that
 * have gradients. tfjs differentiates no conv with dilation > 1, and refuses stride > 1 together
 * with dilation > 1 even forward, so dilation is rewritten away here, around any plain conv.
 */
import * as tf from '@tensorflow/tfjs-core';

export type ExplicitPadding = [[number, number], [number, number], [number, number], [number, number]];

/** A conv with dilation 1 (ordinary, depthwise, grouped), padded as told. */
export type PlainConv = (x: tf.Tensor4D, w: tf.Tensor4D, stride: number, pad: ExplicitPadding) => tf.Tensor4D;

export function symmetricPadding(pad: number): ExplicitPadding {
  return [
    [0, 0],
    [pad, pad],
    [pad, pad],
    [0, 0],
  ];
}

function checkPositiveInteger(name: string, value: number, min: number): void {
  if (!Number.isInteger(value) || value < min)
    throw new Error(`conv ${name} must be an integer >= ${min}, got ${value}`);
}

/** Output size of one axis, as PyTorch computes it; an error when no window fits. */
export function convOutputSize(inSize: number, kernel: number, stride: number, dilation: number, pad: number): number {
  const span = dilation * (kernel - 1) + 1;
  const out = Math.floor((inSize + 2 * pad - span) / stride) + 1;
  if (out < 1) {
    throw new Error(
      `conv window (kernel ${kernel}, dilation ${dilation}) does not fit an input of ${inSize} with padding ${pad}`,
    );
  }
  return out;
}

/**
 * w [kh, kw, i, o] with (dilation - 1) zero rows and columns between its taps: a dense kernel that
 * computes the dilated conv at any stride (at the cost of multiplying by the zeros).
 */
export function dilateFilter(w: tf.Tensor4D, dilation: number): tf.Tensor4D {
  const [kh, kw, i, o] = w.shape;
  const height = (kh - 1) * dilation + 1;
  const width = (kw - 1) * dilation + 1;
  return tf.tidy(() => {
    // Each tap row gets (dilation - 1) zero rows after it; the trailing ones are cut off.
    const spreadRows = tf.pad(tf.reshape(w, [kh, 1, kw * i * o]), [
      [0, 0],
      [0, dilation - 1],
      [0, 0],
    ]);
    const rows = tf.slice(tf.reshape(spreadRows, [kh * dilation, kw, i, o]) as tf.Tensor4D, 0, height);
    const spreadCols = tf.pad(tf.reshape(rows, [height, kw, 1, i * o]), [
      [0, 0],
      [0, 0],
      [0, dilation - 1],
      [0, 0],
    ]);
    return tf.slice(
      tf.reshape(spreadCols, [height, kw * dilation, i, o]) as tf.Tensor4D,
      [0, 0, 0, 0],
      [height, width, i, o],
    );
  });
}

/**
 * The stride-1 dilated conv as a plain conv on the image split into dilation x dilation phases
 * (spaceToBatchND), put back together by batchToSpaceND: same arithmetic as the dilated conv.
 */
function viaPhases(x: tf.Tensor4D, w: tf.Tensor4D, dilation: number, pad: number, conv: PlainConv): tf.Tensor4D {
  const [, height, width] = x.shape;
  // Each padded extent must split evenly into phases; the extra rows fall off again at the end.
  const extraH = (dilation - ((height + 2 * pad) % dilation)) % dilation;
  const extraW = (dilation - ((width + 2 * pad) % dilation)) % dilation;
  return tf.tidy(() => {
    const phases = tf.spaceToBatchND(
      x,
      [dilation, dilation],
      [
        [pad, pad + extraH],
        [pad, pad + extraW],
      ],
    );
    const y = conv(phases, w, 1, symmetricPadding(0));
    return tf.batchToSpaceND(
      y,
      [dilation, dilation],
      [
        [0, extraH],
        [0, extraW],
      ],
    );
  });
}

/**
 * conv(x, w) with PyTorch's stride, dilation and symmetric padding, differentiable on every tfjs
 * back end. x is NHWC, w [kh, kw, in, out] as `conv` expects it.
 */
export function convWithDilation(
  x: tf.Tensor4D,
  w: tf.Tensor4D,
  stride: number,
  dilation: number,
  pad: number,
  conv: PlainConv,
): tf.Tensor4D {
  checkPositiveInteger('stride', stride, 1);
  checkPositiveInteger('dilation', dilation, 1);
  checkPositiveInteger('padding', pad, 0);
  const [, height, width] = x.shape;
  const [kh, kw] = w.shape;
  convOutputSize(height, kh, stride, dilation, pad);
  convOutputSize(width, kw, stride, dilation, pad);
  if (dilation === 1) return conv(x, w, stride, symmetricPadding(pad));
  if (stride === 1) return viaPhases(x, w, dilation, pad, conv);
  return tf.tidy(() => conv(x, dilateFilter(w, dilation), stride, symmetricPadding(pad)));
}
