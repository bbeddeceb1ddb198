import * as tf from '@tensorflow/tfjs-core';

/** The back end ran out of memory for a batch: the user can act on it (a smaller batch). */
export class EngineMemoryError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'EngineMemoryError';
  }
}

/**
 * Runs `work` and turns the ways tfjs reports exhausted memory into one message that names the
 * batch and the fix. The wasm back end addresses 2 GB: past that tfjs fails with a bare
 * RangeError from a typed array over its heap.
 */
export async function withMemoryCheck<T>(what: string, n: number, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    const message = (error as Error).message ?? '';
    if (
      /Invalid typed array length|out of memory|Cannot enlarge memory|OOM|Array buffer allocation failed/i.test(message)
    ) {
      const backend = tf.getBackend();
      const limit = backend === 'wasm' ? ' (WebAssembly can address 2 GB)' : '';
      throw new EngineMemoryError(
        `the ${backend} back end ran out of memory for a ${what} of ${n} images${limit}; ` +
          `use a smaller --batch-size (${Math.max(1, Math.floor(n / 2))}, say)`,
        { cause: error },
      );
    }
    throw error;
  }
}
