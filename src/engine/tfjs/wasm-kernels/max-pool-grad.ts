/**
 * MaxPoolGrad for wasm. The stock kernel routes a window's gradient to the wrong pixel when every
 * value in the window is negative, so attacks through a max-pool followed wrong gradients and
 * over-reported robustness. Each window's gradient goes to its first maximum in row-major order,
 * padding never wins, as on the cpu back end and in PyTorch.
 */
import {
  backend_util,
  MaxPoolGrad,
  type KernelConfig,
  type MaxPoolGradAttrs,
  type TensorInfo,
} from '@tensorflow/tfjs-core';
import { allocate, heap, input, shape4, wasmBackend, type KernelArgs } from './backend-calls';

function maxPoolGrad(args: KernelArgs): TensorInfo {
  const backend = wasmBackend(args);
  const dy = input(args, 'dy');
  const x = input(args, 'input');
  const attrs = args.attrs as unknown as MaxPoolGradAttrs;
  const info = backend_util.computePool2DInfo(
    shape4(x),
    attrs.filterSize,
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
  );
  const { batchSize, inHeight, inWidth, inChannels: c, outHeight, outWidth } = info;
  const dx = allocate(backend, x.shape);
  const xs = heap(backend, x);
  const dys = heap(backend, dy);
  const dxs = heap(backend, dx);
  dxs.fill(0);
  // Per output pixel, all channels at once: the inner loops walk contiguous NHWC memory.
  const best = new Float32Array(c);
  const where = new Int32Array(c);
  for (let b = 0; b < batchSize; b++) {
    for (let oy = 0; oy < outHeight; oy++) {
      const top = oy * info.strideHeight - info.padInfo.top;
      const y0 = Math.max(0, top);
      const y1 = Math.min(inHeight, top + info.effectiveFilterHeight);
      for (let ox = 0; ox < outWidth; ox++) {
        const left = ox * info.strideWidth - info.padInfo.left;
        const x0 = Math.max(0, left);
        const x1 = Math.min(inWidth, left + info.effectiveFilterWidth);
        best.fill(Number.NEGATIVE_INFINITY);
        where.fill(-1);
        for (let y = y0; y < y1; y++) {
          for (let xx = x0; xx < x1; xx++) {
            const base = ((b * inHeight + y) * inWidth + xx) * c;
            for (let k = 0; k < c; k++) {
              const value = xs[base + k] as number;
              // `where < 0` keeps a window of NaN or -Infinity pointing at a real pixel.
              if (value > (best[k] as number) || (where[k] as number) < 0) {
                best[k] = value;
                where[k] = base + k;
              }
            }
          }
        }
        const from = ((b * outHeight + oy) * outWidth + ox) * c;
        for (let k = 0; k < c; k++) {
          const at = where[k] as number;
          if (at >= 0) dxs[at] = (dxs[at] as number) + (dys[from + k] as number);
        }
      }
    }
  }
  return dx;
}

export const maxPoolGradConfig: KernelConfig = {
  kernelName: MaxPoolGrad,
  backendName: 'wasm',
  kernelFunc: maxPoolGrad,
};
