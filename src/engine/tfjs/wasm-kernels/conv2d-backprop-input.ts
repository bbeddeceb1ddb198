/**
 * Conv2DBackpropInput for wasm as forward convs, so it runs on XNNPACK: the stock kernel is a
 * plain loop, and a PGD attack spends nearly all its time there. Stride 1: one conv with the
 * flipped kernel; larger strides: one small conv per output phase (strided-input-gradient.ts).
 */
import {
  backend_util,
  Conv2DBackpropInput,
  type Conv2DBackpropInputAttrs,
  type KernelConfig,
  type TensorInfo,
} from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { free, input, runKernel, shape4, wasmBackend, type KernelArgs } from './backend-calls';
import { convAxes, explicitPadding, inputGradientAxis, type ConvAxis } from './conv-geometry';
import { flipFilter, spread } from './relayout';
import { stridedInputGradient } from './strided-input-gradient';

/**
 * Runs `conv(source, padding)` over dy made ready for a stride-1 conv: dy itself with padding when
 * that suffices, otherwise dy spread onto a zero grid (zero insertion, padding and cropping at
 * once) with no padding left to add.
 */
export function overSpreadGradient(
  backend: BackendWasm,
  dy: TensorInfo,
  rows: ConvAxis,
  cols: ConvAxis,
  conv: (source: TensorInfo, pad: ReturnType<typeof explicitPadding>) => TensorInfo,
): TensorInfo {
  const r = inputGradientAxis(rows);
  const c = inputGradientAxis(cols);
  if (r.direct && c.direct) return conv(dy, explicitPadding(r.direct, c.direct));
  const spreadDy = spread(backend, dy, r.spread, c.spread);
  try {
    return conv(spreadDy, explicitPadding([0, 0], [0, 0]));
  } finally {
    free(backend, spreadDy);
  }
}

function conv2dBackpropInput(args: KernelArgs): TensorInfo {
  const backend = wasmBackend(args);
  const dy = input(args, 'dy');
  const filter = input(args, 'filter');
  const attrs = args.attrs as unknown as Conv2DBackpropInputAttrs;
  const info = backend_util.computeConv2DInfo(
    attrs.inputShape,
    shape4(filter),
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
    false,
    backend_util.convertConv2DDataFormat(attrs.dataFormat),
  );
  const { rows, cols } = convAxes(info);
  if (rows.stride > 1 || cols.stride > 1)
    return stridedInputGradient(backend, dy, filter, attrs.inputShape, rows, cols);
  const flipped = flipFilter(backend, filter, true);
  try {
    return overSpreadGradient(backend, dy, rows, cols, (source, pad) =>
      runKernel(
        backend,
        'Conv2D',
        { x: source, filter: flipped },
        { strides: [1, 1], dilations: [1, 1], pad, dataFormat: 'NHWC' },
      ),
    );
  } finally {
    free(backend, flipped);
  }
}

export const conv2dBackpropInputConfig: KernelConfig = {
  kernelName: Conv2DBackpropInput,
  backendName: 'wasm',
  kernelFunc: conv2dBackpropInput,
};
