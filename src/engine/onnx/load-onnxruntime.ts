import type * as Ort from 'onnxruntime-node';
import { onnxRuntimeAdvice, readPackageTarget } from './package-target';

export type OnnxRuntime = typeof Ort;

/** onnxruntime-node is missing or cannot load here; the message says what to do. */
export class OnnxRuntimeUnavailableError extends Error {
  constructor(cause: unknown) {
    const detail = (cause instanceof Error ? cause.message.split('\n')[0] : undefined) ?? String(cause);
    // The bundle's folder (dist/) says which extension package runs: the advice differs.
    super(onnxRuntimeAdvice(readPackageTarget(__dirname), `${process.platform}-${process.arch}`, detail));
    this.name = 'OnnxRuntimeUnavailableError';
  }
}

let loaded: OnnxRuntime | OnnxRuntimeUnavailableError | undefined;

/**
 * The onnxruntime-node module, required on first use. It is an optional dependency: esbuild leaves
 * it external (esbuild.js), so it resolves at run time, from dist/node_modules in a platform's
 * extension package (scripts/build/package-vsix.js puts it there) or from the npm install folder;
 * a machine without it only loses this back end.
 */
export function loadOnnxRuntime(): OnnxRuntime {
  if (loaded === undefined) {
    try {
      // An optional package, present only on some machines: loaded when asked for, not at start.
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- optional, so not a static import
      loaded = require('onnxruntime-node') as OnnxRuntime;
    } catch (error) {
      loaded = new OnnxRuntimeUnavailableError(error);
    }
  }
  if (loaded instanceof OnnxRuntimeUnavailableError) throw loaded;
  return loaded;
}

/** Why onnxruntime-node cannot be used here, or undefined when it loads. */
export function onnxRuntimeProblem(): string | undefined {
  try {
    loadOnnxRuntime();
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}
