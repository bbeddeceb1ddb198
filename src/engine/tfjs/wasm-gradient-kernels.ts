/**
 * Makes the tfjs wasm back end able to train and attack: the conv gradients it lacks or runs
 * slowly become forward convs on XNNPACK, and its wrong MaxPoolGrad is replaced. Dilated and
 * grouped convs, which tfjs cannot differentiate on any back end, are ops of their own
 * (`dilatedConv2d`, `groupedConv2d`).
 */
import { findBackend, getKernel, registerKernel, unregisterKernel, type KernelConfig } from '@tensorflow/tfjs-core';
import { conv2dBackpropFilterConfig } from './wasm-kernels/conv2d-backprop-filter';
import { conv2dBackpropInputConfig } from './wasm-kernels/conv2d-backprop-input';
import { depthwiseBackpropFilterConfig, depthwiseBackpropInputConfig } from './wasm-kernels/depthwise-backprop';
import { maxPoolGradConfig } from './wasm-kernels/max-pool-grad';

const REPLACEMENTS: readonly KernelConfig[] = [
  conv2dBackpropInputConfig,
  conv2dBackpropFilterConfig,
  depthwiseBackpropInputConfig,
  depthwiseBackpropFilterConfig,
  maxPoolGradConfig,
];

/** The stock kernels we replaced (undefined where wasm had none), to put back for comparisons. */
let stock: Map<string, KernelConfig | undefined> | null = null;

/** Registers our wasm kernels in place of the stock ones; calling it again does nothing. */
export function installWasmGradientKernels(): void {
  if (stock) return;
  stock = new Map();
  for (const config of REPLACEMENTS) {
    const previous = getKernel(config.kernelName, 'wasm');
    stock.set(config.kernelName, previous);
    // Unregistering first avoids tfjs's "already registered" warning on every start.
    if (previous) unregisterKernel(config.kernelName, 'wasm');
    registerKernel(config);
  }
}

/** Puts the stock wasm kernels back (benchmarks and tests compare against them). */
export function restoreStockWasmKernels(): void {
  if (!stock) return;
  const backend = findBackend('wasm');
  for (const [name, previous] of stock) {
    unregisterKernel(name, 'wasm');
    if (!previous) continue;
    registerKernel(previous);
    // A stock kernel binds its wasm function when the back end starts; if ours was registered
    // by then, that never happened.
    if (backend) previous.setupFunc?.(backend);
  }
  stock = null;
}

/** Whether our kernels are the ones registered now. */
export function wasmGradientKernelsInstalled(): boolean {
  return stock !== null;
}
