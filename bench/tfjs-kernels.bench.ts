import { performance } from 'node:perf_hooks';
import * as tf from '@tensorflow/tfjs-core';
import { median } from './support/stats';
import { selectTfjsBackend } from '../src/engine/tfjs/select-backend';
import { installWasmGradientKernels, restoreStockWasmKernels } from '../src/engine/tfjs/wasm-gradient-kernels';

// Images per second of a conv's two gradient kernels on wasm, stock against ours, for the 3x3
// convs of a ResNet-20 on 32x32 images at batch 32. The input gradient is what every attack step
// runs per conv; the weight gradient is what training adds (stock wasm has no kernel for it).
// Medians of a few timed runs after warm-up; prints figures, asserts nothing.

const BATCH = 32;
const RUNS = 5;
const WARMUP = 1;

interface ConvShape {
  readonly name: string;
  readonly size: number;
  readonly cin: number;
  readonly cout: number;
  readonly stride: number;
}

const SHAPES: readonly ConvShape[] = [
  { name: '3x3 16->16 @32x32 s1', size: 32, cin: 16, cout: 16, stride: 1 },
  { name: '3x3 32->32 @32x32 s1', size: 32, cin: 32, cout: 32, stride: 1 },
  { name: '3x3 16->32 @32x32 s2', size: 32, cin: 16, cout: 32, stride: 2 },
];

type Kernel = 'Conv2D' | 'Conv2DBackpropInput' | 'Conv2DBackpropFilter';

/** Images per second of one kernel, or the error it fails with. */
function imagesPerSecond(shape: ConvShape, kernel: Kernel): number | string {
  const out = Math.ceil(shape.size / shape.stride);
  const x = tf.randomNormal([BATCH, shape.size, shape.size, shape.cin]);
  const w = tf.randomNormal([3, 3, shape.cin, shape.cout]);
  const dy = tf.randomNormal([BATCH, out, out, shape.cout]);
  const pad = [
    [0, 0],
    [1, 1],
    [1, 1],
    [0, 0],
  ];
  const run = (): void => {
    const attrs = { strides: shape.stride, pad, dataFormat: 'NHWC', dilations: 1 };
    const result =
      kernel === 'Conv2D'
        ? tf.engine().runKernel(kernel, { x, filter: w }, attrs)
        : kernel === 'Conv2DBackpropInput'
          ? tf.engine().runKernel(kernel, { dy, filter: w }, { ...attrs, inputShape: x.shape })
          : tf.engine().runKernel(kernel, { x, dy }, { ...attrs, filterShape: w.shape });
    tf.dispose(result);
  };
  try {
    for (let i = 0; i < WARMUP; i++) run();
    const times: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const start = performance.now();
      run();
      times.push(performance.now() - start);
    }
    return BATCH / (median(times) / 1000);
  } catch (error) {
    return `fails (${error instanceof Error ? error.message : String(error)})`;
  } finally {
    tf.dispose([x, w, dy]);
  }
}

function show(value: number | string): string {
  return typeof value === 'number' ? `${Math.round(value).toLocaleString('en-US')} img/s` : value;
}

function row(shape: ConvShape, label: string, text: string): void {
  console.log(`${shape.name.padEnd(22)} ${label.padEnd(16)} ${text}`);
}

async function main(): Promise<void> {
  const selected = await selectTfjsBackend('wasm');
  console.log(`conv kernels on ${selected.device}, batch ${BATCH}, median of ${RUNS} runs`);
  for (const shape of SHAPES) {
    row(shape, 'forward', show(imagesPerSecond(shape, 'Conv2D')));
    for (const kernel of ['Conv2DBackpropInput', 'Conv2DBackpropFilter'] as const) {
      restoreStockWasmKernels();
      const stock = imagesPerSecond(shape, kernel);
      installWasmGradientKernels();
      const ours = imagesPerSecond(shape, kernel);
      const ratio = typeof stock === 'number' && typeof ours === 'number' ? `  (${(ours / stock).toFixed(1)}x)` : '';
      const stockText = typeof stock === 'string' && stock.includes('not registered') ? 'no kernel' : show(stock);
      row(
        shape,
        kernel === 'Conv2DBackpropInput' ? 'input gradient' : 'weight gradient',
        `stock ${stockText.padEnd(12)}  ours ${show(ours)}${ratio}`,
      );
    }
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
