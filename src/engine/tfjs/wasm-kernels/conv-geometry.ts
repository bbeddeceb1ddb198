/**
 * The geometry of a conv's two gradients written as forward convs, one spatial axis at a time.
 * Both follow from y[i] = sum_t x[i * stride + t * dilation - padBefore] * w[t].
 */
import type { backend_util } from '@tensorflow/tfjs-core';
import type { SpreadAxis } from './relayout';

export interface ConvAxis {
  readonly inSize: number;
  readonly outSize: number;
  readonly kernel: number;
  readonly stride: number;
  readonly dilation: number;
  /** Zero padding before the first input pixel (top or left). */
  readonly padBefore: number;
}

function effectiveKernel(axis: ConvAxis): number {
  return axis.dilation * (axis.kernel - 1) + 1;
}

/**
 * dx is a stride-1 conv with the flipped kernel over dy with (stride - 1) zeros between its pixels,
 * shifted so that output pixel i sits at i * stride + (effective kernel - 1 - padBefore). `direct`
 * gives the conv's padding when no copy is needed (stride 1 and no cropping); otherwise `spread`
 * says where dy's pixels go in the conv's (valid-padded) input.
 */
export function inputGradientAxis(axis: ConvAxis): {
  readonly direct: readonly [number, number] | null;
  readonly spread: SpreadAxis;
} {
  const k = effectiveKernel(axis);
  const size = axis.inSize + k - 1;
  const before = k - 1 - axis.padBefore;
  const after = size - before - ((axis.outSize - 1) * axis.stride + 1);
  const direct = axis.stride === 1 && before >= 0 && after >= 0 ? ([before, after] as const) : null;
  return { direct, spread: { size, step: axis.stride, offset: before } };
}

/**
 * dw[t] = sum_i x[i * stride + t * dilation - padBefore] dy[i]: a conv over x whose kernel is dy,
 * with the stride and dilation exchanged. Input pixels past the last one any window reads are
 * cropped (`keep`), so that the conv yields exactly `kernel` taps.
 */
export function filterGradientAxis(axis: ConvAxis): { readonly keep: number; readonly pad: readonly [number, number] } {
  const after = effectiveKernel(axis) + axis.stride * (axis.outSize - 1) - axis.inSize - axis.padBefore;
  return after >= 0
    ? { keep: axis.inSize, pad: [axis.padBefore, after] }
    : { keep: axis.inSize + after, pad: [axis.padBefore, 0] };
}

/** tfjs's NHWC explicit padding from per-axis (before, after) pairs. */
export function explicitPadding(
  rows: readonly [number, number],
  cols: readonly [number, number],
): [[number, number], [number, number], [number, number], [number, number]] {
  return [
    [0, 0],
    [rows[0], rows[1]],
    [cols[0], cols[1]],
    [0, 0],
  ];
}

/** The two spatial axes of tfjs's description of a conv (or pool). */
export function convAxes(info: backend_util.Conv2DInfo): { readonly rows: ConvAxis; readonly cols: ConvAxis } {
  if (info.dataFormat !== 'channelsLast') throw new Error('the wasm back end supports NHWC convs only');
  return {
    rows: {
      inSize: info.inHeight,
      outSize: info.outHeight,
      kernel: info.filterHeight,
      stride: info.strideHeight,
      dilation: info.dilationHeight,
      padBefore: info.padInfo.top,
    },
    cols: {
      inSize: info.inWidth,
      outSize: info.outWidth,
      kernel: info.filterWidth,
      stride: info.strideWidth,
      dilation: info.dilationWidth,
      padBefore: info.padInfo.left,
    },
  };
}
