/**
 * Which compute back end a run uses, and why the faster ones were passed over: one place for the
 * evaluation order (ONNX Runtime and tfjs) and the training order (tfjs only, for now).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { GraphBuilder } from '../onnx/graph-builder';
import { loadOnnxRuntime } from '../onnx/load-onnxruntime';
import { cudaProviderAdvice, readPackageTarget } from '../onnx/package-target';
import { cudaUnavailable } from '../tfjs/native-backends';
import { selectTfjsBackend, type SelectedBackend, type TfjsBackendChoice } from '../tfjs/select-backend';

/** Where an evaluation's attacks run: a tfjs back end, or ONNX Runtime (evaluation only). */
export type EvalBackendChoice = TfjsBackendChoice | 'onnxruntime';

/** ONNX Runtime's execution providers we use. */
export type OrtProvider = 'cuda' | 'cpu';

export interface EvalBackend extends SelectedBackend {
  /** Present when the attacks run on ONNX Runtime. */
  readonly onnx?: { readonly provider: OrtProvider; readonly threads: number };
  /** Chosen automatically (so a model ONNX Runtime cannot build may fall back to tfjs). */
  readonly automatic: boolean;
  /** The tfjs back end active now: it reads TF.js model.json files, and runs a model ONNX Runtime cannot build. */
  readonly tfjs: SelectedBackend;
}

/** What the choice reads from the machine; tests replace it. */
export interface BackendChoiceProbe {
  /** Why ONNX Runtime cannot run sessions on `provider` here, or undefined when it can. */
  onnxRuntime(provider: OrtProvider): Promise<string | undefined>;
  /** Activates a tfjs back end as select-backend.ts does (throws with the reason when it cannot). */
  tfjs(preferred?: TfjsBackendChoice): Promise<SelectedBackend>;
  ortVersion(): string;
  threads(): number;
}

/** The folder of onnxruntime-node's native binding, where its CUDA provider library is installed. */
function ortBindingDir(): string | undefined {
  try {
    const root = path.dirname(require.resolve('onnxruntime-node/package.json'));
    return path.join(root, 'bin', 'napi-v6', process.platform, process.arch);
  } catch {
    return undefined;
  }
}

const CUDA_INSTALL = 'npm install onnxruntime-node --onnxruntime-node-install=cuda12';

/** A one-node graph: creating a session on it loads the provider and nothing else. */
function probeModel(): Uint8Array {
  const g = new GraphBuilder();
  g.output(g.node('Relu', [g.input('x', [1])], [1]), 'y');
  return g.toBytes();
}

async function onnxRuntimeProblem(provider: OrtProvider): Promise<string | undefined> {
  let ort: ReturnType<typeof loadOnnxRuntime>;
  try {
    ort = loadOnnxRuntime();
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
  if (provider === 'cuda') {
    // Checked first: a session asked for a missing provider also prints a native error to stderr.
    const dir = ortBindingDir();
    const library = dir
      ? path.join(
          dir,
          process.platform === 'win32' ? 'onnxruntime_providers_cuda.dll' : 'libonnxruntime_providers_cuda.so',
        )
      : undefined;
    if (!library || !fs.existsSync(library)) return cudaProviderAdvice(readPackageTarget(__dirname), CUDA_INSTALL);
    const why = cudaUnavailable();
    if (why) return why;
  }
  try {
    const session = await ort.InferenceSession.create(probeModel(), {
      executionProviders: [provider],
      logSeverityLevel: 3,
    });
    await session.release();
    return undefined;
  } catch (error) {
    const detail = error instanceof Error ? error.message.split('\n')[0] : String(error);
    return provider === 'cuda'
      ? `its CUDA provider did not start (${detail}; it needs CUDA 12 and cuDNN 9)`
      : `no session could start: ${detail}`;
  }
}

const machine: BackendChoiceProbe = {
  onnxRuntime: onnxRuntimeProblem,
  tfjs: (preferred) => selectTfjsBackend(preferred),
  ortVersion: () => {
    try {
      return loadOnnxRuntime().env.versions.node ?? '';
    } catch {
      return '';
    }
  },
  threads: () => os.availableParallelism(),
};

function onOnnx(
  provider: OrtProvider,
  tfjs: SelectedBackend,
  automatic: boolean,
  skipped: readonly string[],
  probe: BackendChoiceProbe,
): EvalBackend {
  const threads = probe.threads();
  const version = probe.ortVersion();
  const device =
    provider === 'cuda'
      ? `CUDA GPU (onnxruntime-node ${version})`
      : `CPU (onnxruntime-node ${version}, ${threads} threads)`;
  return {
    name: 'onnxruntime',
    device,
    automatic,
    tfjs,
    onnx: { provider, threads },
    notes: [
      `attacks run on ONNX Runtime (${provider === 'cuda' ? 'CUDA' : 'CPU'} execution ` +
        `provider) from weights held on the host; a TF.js model.json is read through tfjs ${tfjs.name}`,
      ...skipped,
    ],
  };
}

function onTfjs(tfjs: SelectedBackend, automatic: boolean, skipped: readonly string[]): EvalBackend {
  return { ...tfjs, notes: [...tfjs.notes, ...skipped], automatic, tfjs };
}

function reason(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Activates the evaluation back end. Chosen: that one, or an error saying why it cannot run
 * (ONNX Runtime takes its CUDA provider when that starts, else the CPU, and says which). Automatic:
 * ONNX Runtime on CUDA, tfjs-node-gpu, ONNX Runtime on the CPU, then tfjs's native CPU build,
 * wasm and plain JavaScript; every faster one passed over leaves a note saying why.
 */
export async function selectEvalBackend(
  choice: EvalBackendChoice | undefined,
  probe: BackendChoiceProbe = machine,
): Promise<EvalBackend> {
  if (choice === 'onnxruntime') {
    const cpuProblem = await probe.onnxRuntime('cpu');
    if (cpuProblem) throw new Error(`the onnxruntime back end is not available: ${cpuProblem}`);
    const cudaProblem = await probe.onnxRuntime('cuda');
    const tfjs = await probe.tfjs(undefined);
    return onOnnx(
      cudaProblem ? 'cpu' : 'cuda',
      tfjs,
      false,
      cudaProblem ? [`onnxruntime on CUDA skipped: ${cudaProblem}`] : [],
      probe,
    );
  }
  if (choice) return onTfjs(await probe.tfjs(choice), false, []);

  const skipped: string[] = [];
  const cudaProblem = await probe.onnxRuntime('cuda');
  if (!cudaProblem) return onOnnx('cuda', await probe.tfjs(undefined), true, skipped, probe);
  skipped.push(`onnxruntime on CUDA skipped: ${cudaProblem}`);
  try {
    return onTfjs(await probe.tfjs('tfjs-node-gpu'), true, skipped);
  } catch (error) {
    skipped.push(reason(error));
  }
  const cpuProblem = await probe.onnxRuntime('cpu');
  if (!cpuProblem) return onOnnx('cpu', await probe.tfjs(undefined), true, skipped, probe);
  skipped.push(`onnxruntime skipped: ${cpuProblem}`);
  for (const next of ['tfjs-node', 'wasm', 'cpu'] as const) {
    try {
      return onTfjs(await probe.tfjs(next), true, skipped);
    } catch (error) {
      skipped.push(reason(error));
    }
  }
  throw new Error(`no back end could start: ${skipped.join('; ')}`);
}

/** Where a training run computes: a tfjs back end, or ONNX Runtime (its CPU provider). */
export type TrainBackendChoice = TfjsBackendChoice | 'onnxruntime';

/**
 * Activates the training back end. Chosen: that one, or an error saying why it cannot run.
 * Automatic: tfjs-node-gpu, then ONNX Runtime on the CPU (its training graphs run on the CPU
 * provider only, so CUDA is passed over with that reason), then tfjs's native CPU build, wasm and
 * plain JavaScript; every faster one passed over leaves a note saying why.
 */
export async function selectTrainBackend(
  choice: TrainBackendChoice | undefined,
  probe: BackendChoiceProbe = machine,
): Promise<EvalBackend> {
  if (choice === 'onnxruntime') {
    const cpuProblem = await probe.onnxRuntime('cpu');
    if (cpuProblem) throw new Error(`the onnxruntime back end is not available: ${cpuProblem}`);
    return onOnnxTraining(await probe.tfjs(undefined), false, [], probe);
  }
  if (choice) return onTfjs(await probe.tfjs(choice), false, []);
  const skipped: string[] = [];
  const cudaProblem = await probe.onnxRuntime('cuda');
  skipped.push(
    cudaProblem
      ? `onnxruntime on CUDA skipped: ${cudaProblem}`
      : 'onnxruntime on CUDA skipped: its training graphs run on the CPU provider only',
  );
  try {
    return onTfjs(await probe.tfjs('tfjs-node-gpu'), true, skipped);
  } catch (error) {
    skipped.push(reason(error));
  }
  const cpuProblem = await probe.onnxRuntime('cpu');
  if (!cpuProblem) return onOnnxTraining(await probe.tfjs(undefined), true, skipped, probe);
  skipped.push(`onnxruntime skipped: ${cpuProblem}`);
  for (const next of ['tfjs-node', 'wasm', 'cpu'] as const) {
    try {
      return onTfjs(await probe.tfjs(next), true, skipped);
    } catch (error) {
      skipped.push(reason(error));
    }
  }
  throw new Error(`no back end could start: ${skipped.join('; ')}`);
}

function onOnnxTraining(
  tfjs: SelectedBackend,
  automatic: boolean,
  skipped: readonly string[],
  probe: BackendChoiceProbe,
): EvalBackend {
  const threads = probe.threads();
  return {
    name: 'onnxruntime',
    device: `CPU (onnxruntime-node ${probe.ortVersion()}, ${threads} threads)`,
    automatic,
    tfjs,
    onnx: { provider: 'cpu', threads },
    notes: [
      'training steps and attacks run on ONNX Runtime (CPU execution provider); the initial ' +
        "weights are PyTorch's default initialisation, drawn on the host from the run's seed",
      ...skipped,
    ],
  };
}

/** The note added when an automatic ONNX Runtime choice falls back to tfjs for a model it cannot build. */
export function fallbackBackend(chosen: EvalBackend, why: string): EvalBackend {
  return {
    ...chosen.tfjs,
    automatic: true,
    tfjs: chosen.tfjs,
    notes: [
      ...chosen.tfjs.notes,
      `onnxruntime cannot build this model (${why}): attacks run on tfjs ${chosen.tfjs.name}`,
      ...chosen.notes.slice(1),
    ],
  };
}
