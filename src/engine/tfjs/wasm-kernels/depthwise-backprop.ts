/**
 * The two gradients of a depthwise conv for wasm, which has neither. Both are forward depthwise
 * convs (XNNPACK): per channel the algebra is the one of an ordinary conv with one input and one
 * output channel, and the channel multiplier becomes a sum over an axis.
 */
import {
  backend_util,
  DepthwiseConv2dNativeBackpropFilter,
  DepthwiseConv2dNativeBackpropInput,
  type DepthwiseConv2dNativeBackpropFilterAttrs,
  type DepthwiseConv2dNativeBackpropInputAttrs,
  type KernelConfig,
  type TensorInfo,
} from '@tensorflow/tfjs-core';
import {
  free,
  input,
  runKernel,
  shape4,
  sumAxis,
  transpose,
  view,
  wasmBackend,
  type KernelArgs,
  type Shape4,
} from './backend-calls';
import { convAxes } from './conv-geometry';
import { cropForFilterGradient } from './conv2d-backprop-filter';
import { overSpreadGradient } from './conv2d-backprop-input';
import { flipFilter } from './relayout';

type DepthwiseAttrs = DepthwiseConv2dNativeBackpropInputAttrs | DepthwiseConv2dNativeBackpropFilterAttrs;

function depthwiseInfo(xShape: Shape4, filterShape: Shape4, attrs: DepthwiseAttrs): backend_util.Conv2DInfo {
  return backend_util.computeConv2DInfo(
    xShape,
    filterShape,
    attrs.strides,
    attrs.dilations ?? 1,
    attrs.pad,
    attrs.dimRoundingMode,
    true,
  );
}

function depthwiseBackpropInput(args: KernelArgs): TensorInfo {
  const backend = wasmBackend(args);
  const dy = input(args, 'dy');
  const filter = input(args, 'filter');
  const attrs = args.attrs as unknown as DepthwiseConv2dNativeBackpropInputAttrs;
  const [kh, kw, channels, multiplier] = shape4(filter);
  const { rows, cols } = convAxes(depthwiseInfo(attrs.inputShape, [kh, kw, channels, multiplier], attrs));
  // Every output channel c * m + q gets its own flipped 2-D kernel; the m partial input gradients
  // of channel c are then summed.
  const flipped = flipFilter(backend, view(filter, [kh, kw, channels * multiplier, 1]), false);
  const temps: TensorInfo[] = [flipped];
  try {
    const perOutput = overSpreadGradient(backend, dy, rows, cols, (source, pad) =>
      runKernel(
        backend,
        'DepthwiseConv2dNative',
        { x: source, filter: flipped },
        {
          strides: [1, 1],
          dilations: [rows.dilation, cols.dilation],
          pad,
        },
      ),
    );
    if (multiplier === 1) return perOutput;
    temps.push(perOutput);
    const [n, h, w] = attrs.inputShape;
    return sumAxis(backend, view(perOutput, [n, h, w, channels, multiplier]), 4);
  } finally {
    free(backend, ...temps);
  }
}

function depthwiseBackpropFilter(args: KernelArgs): TensorInfo {
  const backend = wasmBackend(args);
  const x = input(args, 'x');
  const dy = input(args, 'dy');
  const attrs = args.attrs as unknown as DepthwiseConv2dNativeBackpropFilterAttrs;
  const [n, , , channels] = shape4(x);
  const [kh, kw, , multiplier] = attrs.filterShape;
  const [, oh, ow] = shape4(dy);
  const { rows, cols } = convAxes(depthwiseInfo(shape4(x), attrs.filterShape, attrs));
  const cropped = cropForFilterGradient(backend, x, rows, cols);
  const temps: TensorInfo[] = cropped.x === x ? [] : [cropped.x];
  try {
    // One image whose channels are (image, channel) pairs, and dy as a depthwise kernel over
    // them: each pair gets its own 2-D correlation, then the images are summed.
    const xT = transpose(backend, cropped.x, [1, 2, 0, 3]);
    temps.push(xT);
    const [keptH, keptW] = xT.shape;
    const dyT = transpose(backend, dy, [1, 2, 0, 3]);
    temps.push(dyT);
    const perImage = runKernel(
      backend,
      'DepthwiseConv2dNative',
      {
        x: view(xT, [1, keptH ?? 0, keptW ?? 0, n * channels]),
        filter: view(dyT, [oh, ow, n * channels, multiplier]),
      },
      { strides: [rows.dilation, cols.dilation], dilations: [rows.stride, cols.stride], pad: cropped.pad },
    );
    if (n === 1) return view(perImage, [kh, kw, channels, multiplier]);
    temps.push(perImage);
    const summed = sumAxis(backend, view(perImage, [kh, kw, n, channels * multiplier]), 2);
    return view(summed, [kh, kw, channels, multiplier]);
  } finally {
    free(backend, ...temps);
  }
}

export const depthwiseBackpropInputConfig: KernelConfig = {
  kernelName: DepthwiseConv2dNativeBackpropInput,
  backendName: 'wasm',
  kernelFunc: depthwiseBackpropInput,
};

export const depthwiseBackpropFilterConfig: KernelConfig = {
  kernelName: DepthwiseConv2dNativeBackpropFilter,
  backendName: 'wasm',
  kernelFunc: depthwiseBackpropFilter,
};
