import { GraphBuilder } from './graph-builder';
import { NCHWC_DOMAIN } from './nchwc-ops';
import type { OnnxRuntime } from './load-onnxruntime';

/** Blocks narrower than this leave ORT's blocked kernels no faster than its plain ones. */
const MIN_BLOCK = 8;

let probed: Promise<number | undefined> | undefined;

/**
 * The channel block of ORT's blocked-layout (NCHWc) CPU kernels on this machine (8 with AVX2,
 * 16 with AVX-512), or undefined where it has none worth using. MLAS decides it from the CPU at
 * run time and does not say, but its ReorderInput pads 4 channels up to one block: the probe
 * reorders a 4-channel value and reads the width it gets back. Once per process.
 */
export function nchwcBlockSize(ort: OnnxRuntime): Promise<number | undefined> {
  probed ??= probe(ort);
  return probed;
}

async function probe(ort: OnnxRuntime): Promise<number | undefined> {
  try {
    const g = new GraphBuilder();
    const x = g.input('x', [1, 4, 1, 1]);
    g.output(g.domainNode(NCHWC_DOMAIN, 'ReorderInput', [x], [1, 4, 1, 1]), 'y');
    const session = await ort.InferenceSession.create(g.toBytes(), {
      executionProviders: ['cpu'],
      graphOptimizationLevel: 'disabled',
      logSeverityLevel: 3,
    });
    try {
      const out = await session.run({ x: new ort.Tensor('float32', new Float32Array(4), [1, 4, 1, 1]) });
      const block = Number(out.y?.dims[1] ?? 0);
      return block >= MIN_BLOCK && (block & (block - 1)) === 0 ? block : undefined;
    } finally {
      await session.release();
    }
  } catch {
    // A build of ORT without the blocked kernels: the graphs stay plain.
    return undefined;
  }
}
