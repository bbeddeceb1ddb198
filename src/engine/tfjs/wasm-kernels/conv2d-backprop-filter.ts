/**
 * Conv2DBackpropFilter for wasm, which has none (so no conv could be trained there). It is a
 * forward conv, run on XNNPACK, over x with its batch and channel axes exchanged, whose kernel is
 * dy and whose dilation is the original stride.
 */
import {
  backend_util,
  Conv2DBackpropFilter,
  type Conv2DBackpropFilterAttrs,
  type KernelConfig,
  type TensorInfo,
} from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { free, input, runKernel, shape4, transpose, wasmBackend, type KernelArgs } from './backend-calls';
import { convAxes, explicitPadding, filterGradientAxis, type ConvAxis } from './conv-geometry';
import { cropSpatial } from './relayout';

/**
 * x [n, h, w, c] without the bottom rows and right columns no window reads, plus the padding the
 * gradient conv needs around what is left. The caller frees `x` when it is not the input.
 */
export function cropForFilterGradient(
  backend: BackendWasm,
  x: TensorInfo,
  rows: ConvAxis,
  cols: ConvAxis,
): { readonly x: TensorInfo; readonly pad: ReturnType<typeof explicitPadding> } {
  const r = filterGradientAxis(rows);
  const c = filterGradientAxis(cols);
  const pad = explicitPadding(r.pad, c.pad);
  if (r.keep === rows.inSize && c.keep === cols.inSize) return { x, pad };
  return { x: cropSpatial(backend, x, r.keep, c.keep), pad };
}

function conv2dBackpropFilter(args: KernelArgs): TensorInfo {
  const backend = wasmBackend(args);
  const x = input(args, 'x');
  const dy = input(args, 'dy');
  const attrs = args.attrs as unknown as Conv2DBackpropFilterAttrs;
  const info = backend_util.computeConv2DInfo(
    shape4(x),
    attrs.filterShape,
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
    false,
    backend_util.convertConv2DDataFormat(attrs.dataFormat),
  );
  const { rows, cols } = convAxes(info);
  const cropped = cropForFilterGradient(backend, x, rows, cols);
  const temps: TensorInfo[] = cropped.x === x ? [] : [cropped.x];
  try {
    // [c_in, h, w, n]: images become channels, channels become the batch.
    const xT = transpose(backend, cropped.x, [3, 1, 2, 0]);
    temps.push(xT);
    // [oh, ow, n, c_out]: dy as a kernel reading n channels.
    const dyT = transpose(backend, dy, [1, 2, 0, 3]);
    temps.push(dyT);
    const dw = runKernel(
      backend,
      'Conv2D',
      { x: xT, filter: dyT },
      {
        strides: [rows.dilation, cols.dilation],
        dilations: [rows.stride, cols.stride],
        pad: cropped.pad,
        dataFormat: 'NHWC',
      },
    );
    temps.push(dw);
    // [c_in, kh, kw, c_out] -> [kh, kw, c_in, c_out]
    return transpose(backend, dw, [1, 2, 0, 3]);
  } finally {
    free(backend, ...temps);
  }
}

export const conv2dBackpropFilterConfig: KernelConfig = {
  kernelName: Conv2DBackpropFilter,
  backendName: 'wasm',
  kernelFunc: conv2dBackpropFilter,
};
