/**
 * Picks the fastest tfjs back end this machine can run: native TensorFlow on a CUDA GPU, native
 * TensorFlow on the CPU, WebAssembly (XNNPACK) with our gradient kernels, then plain JavaScript.
 * The result says which one runs and why each faster one was passed over.
 */
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
// tfjs-core's node build registers no gradients; training and attacks need them on every back end.
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { version_cpu } from '@tensorflow/tfjs-backend-cpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { packageRoot, tfjsWasmDir } from './locate-files';
import { cudaUnavailable, explainNativeFailure, tryRequireNative, type NativePackage } from './native-backends';
import { installWasmGradientKernels } from './wasm-gradient-kernels';

export type TfjsBackendChoice = 'tfjs-node-gpu' | 'tfjs-node' | 'wasm' | 'cpu';

export interface SelectedBackend {
  /** tfjs's name for the back end now active ('tensorflow', 'wasm', 'cpu'). */
  readonly name: string;
  /** What computes, in words. */
  readonly device: string;
  /** The choice and why the faster back ends were skipped, one line each. */
  readonly notes: string[];
}

/** What selection reads from the machine; tests replace parts of it. */
export interface BackendProbe {
  cudaUnavailable(): string | null;
  /** Loads a native package: what it threw, or undefined when it loaded. */
  tryRequireNative(name: NativePackage): unknown;
  wasmDir(): string | null;
  installDir(): string | null;
}

const machine: BackendProbe = { cudaUnavailable, tryRequireNative, wasmDir: tfjsWasmDir, installDir: packageRoot };

type Attempt =
  | { readonly ok: true; readonly name: string; readonly device: string; readonly notes: string[] }
  | { readonly ok: false; readonly note: string };

async function activate(name: string): Promise<boolean> {
  try {
    return await tf.setBackend(name);
  } catch {
    return false;
  }
}

async function tryNative(choice: 'tfjs-node-gpu' | 'tfjs-node', probe: BackendProbe): Promise<Attempt> {
  const pkg: NativePackage = `@tensorflow/${choice}`;
  if (choice === 'tfjs-node-gpu') {
    const why = probe.cudaUnavailable();
    if (why) return { ok: false, note: `tfjs-node-gpu skipped: ${why}` };
  }
  const error = probe.tryRequireNative(pkg);
  if (error !== undefined) return { ok: false, note: explainNativeFailure(pkg, error, probe.installDir()) };
  if (!(await activate('tensorflow')))
    return { ok: false, note: `${pkg} loaded but its 'tensorflow' back end did not start` };
  const device = choice === 'tfjs-node-gpu' ? 'CUDA GPU (native TensorFlow)' : 'CPU (native TensorFlow)';
  return { ok: true, name: 'tensorflow', device, notes: [`using ${pkg}`] };
}

/** setWasmPaths may be called only before the wasm back end first starts. */
let wasmPathsSet = false;

async function tryWasm(probe: BackendProbe): Promise<Attempt> {
  const dir = probe.wasmDir();
  if (!dir)
    return { ok: false, note: 'wasm skipped: tfjs-backend-wasm-simd.wasm is not next to the bundle (a broken build)' };
  if (!wasmPathsSet) {
    // tfjs joins the prefix and the file name as strings: the separator must be there.
    setWasmPaths(dir.endsWith(path.sep) ? dir : dir + path.sep);
    wasmPathsSet = true;
  }
  if (!(await activate('wasm')))
    return { ok: false, note: `wasm skipped: the WebAssembly back end did not start from ${dir}` };
  installWasmGradientKernels();
  const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
  return {
    ok: true,
    name: 'wasm',
    device: `CPU (WebAssembly${simd ? ' SIMD' : ', no SIMD'}, 1 thread)`,
    notes: [
      "using wasm (XNNPACK) with robustness-lens's conv and max-pool gradient kernels",
      'wasm runs on one thread: WebAssembly threads do not work under Node (tfjs issue #3830)',
    ],
  };
}

async function tryCpu(): Promise<Attempt> {
  if (!(await activate('cpu'))) return { ok: false, note: 'the plain JavaScript back end did not start' };
  return {
    ok: true,
    name: 'cpu',
    device: 'CPU (plain JavaScript, slow)',
    notes: [`using the plain JavaScript back end (tfjs-backend-cpu ${version_cpu}, far slower than wasm)`],
  };
}

function attempt(choice: TfjsBackendChoice, probe: BackendProbe): Promise<Attempt> {
  switch (choice) {
    case 'tfjs-node-gpu':
    case 'tfjs-node':
      return tryNative(choice, probe);
    case 'wasm':
      return tryWasm(probe);
    case 'cpu':
      return tryCpu();
  }
}

const AUTOMATIC: readonly TfjsBackendChoice[] = ['tfjs-node-gpu', 'tfjs-node', 'wasm', 'cpu'];

/**
 * Activates `preferred`, or failing that throws with the reason; without a preference the first
 * back end of GPU, native CPU, wasm, cpu that works.
 */
export async function selectTfjsBackend(
  preferred?: TfjsBackendChoice,
  probe: BackendProbe = machine,
): Promise<SelectedBackend> {
  const skipped: string[] = [];
  for (const choice of preferred ? [preferred] : AUTOMATIC) {
    const result = await attempt(choice, probe);
    if (result.ok) return { name: result.name, device: result.device, notes: [...result.notes, ...skipped] };
    if (preferred) throw new Error(`the ${preferred} back end is not available: ${result.note}`);
    skipped.push(result.note);
  }
  throw new Error(`no tfjs back end could start: ${skipped.join('; ')}`);
}
