/**
 * Building blocks for wasm kernels written as compositions of the back end's own kernels. A kernel
 * function cannot call tfjs ops (they would land on the gradient tape and in the engine's
 * bookkeeping), so, like tfjs's own composite kernels, ours call other kernel functions directly
 * and free every intermediate tensor themselves.
 */
import { getKernel, type KernelFunc, type NamedAttrMap, type TensorInfo } from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

export type Shape4 = [number, number, number, number];

/** The arguments tfjs passes to every kernel function. */
export type KernelArgs = Parameters<KernelFunc>[0];

/** The wasm back end behind a kernel call (tfjs types it as `{}`). */
export function wasmBackend(args: KernelArgs): BackendWasm {
  return args.backend as BackendWasm;
}

/** A kernel input that tfjs guarantees to pass (a missing one is a bug in the caller). */
export function input(args: KernelArgs, name: string): TensorInfo {
  const tensor = args.inputs[name];
  if (!tensor) throw new Error(`kernel input '${name}' is missing`);
  return tensor;
}

/** The shape of a rank-4 tensor, checked. */
export function shape4(tensor: TensorInfo): Shape4 {
  const [a, b, c, d] = tensor.shape;
  if (tensor.shape.length !== 4 || a === undefined || b === undefined || c === undefined || d === undefined) {
    throw new Error(`expected a rank-4 tensor, got shape [${tensor.shape.join(', ')}]`);
  }
  return [a, b, c, d];
}

/** The same storage seen with another row-major shape: no copy, nothing to free. */
export function view(tensor: TensorInfo, shape: number[]): TensorInfo {
  return { dataId: tensor.dataId, shape, dtype: tensor.dtype };
}

/** Runs one of the back end's stock kernels; the caller owns (and must free) the result. */
export function runKernel(
  backend: BackendWasm,
  name: string,
  inputs: Record<string, TensorInfo>,
  attrs: NamedAttrMap,
): TensorInfo {
  const config = getKernel(name, 'wasm');
  if (!config) throw new Error(`the tfjs wasm back end has no '${name}' kernel`);
  const out = config.kernelFunc({ inputs, backend, attrs });
  if (Array.isArray(out)) throw new Error(`the wasm '${name}' kernel returned several tensors`);
  return out;
}

export function free(backend: BackendWasm, ...tensors: TensorInfo[]): void {
  for (const tensor of tensors) backend.disposeData(tensor.dataId);
}

export function allocate(backend: BackendWasm, shape: number[]): TensorInfo {
  return backend.makeOutput(shape, 'float32');
}

/**
 * A float32 view of a tensor on the wasm heap. Any allocation may grow the heap and detach earlier
 * views, so take views only after the last allocation of a step.
 */
export function heap(backend: BackendWasm, tensor: TensorInfo): Float32Array {
  if (tensor.dtype !== 'float32') throw new Error(`expected a float32 tensor, got ${tensor.dtype}`);
  return backend.typedArrayFromHeap(tensor) as Float32Array;
}

export function transpose(backend: BackendWasm, x: TensorInfo, perm: number[]): TensorInfo {
  return runKernel(backend, 'Transpose', { x }, { perm });
}

/** Sums over one axis and drops it. */
export function sumAxis(backend: BackendWasm, x: TensorInfo, axis: number): TensorInfo {
  return runKernel(backend, 'Sum', { x }, { axis: [axis], keepDims: false });
}
