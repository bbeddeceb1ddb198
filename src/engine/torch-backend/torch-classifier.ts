import * as os from 'node:os';
import {
  imageSize,
  type InputGradient,
  type InputObjective,
  type InputShape,
  type ModelState,
  type SgdHyper,
  type StepResult,
  type TrainableClassifier,
  type TrainObjective,
} from '../model/classifier';
import type { NetworkJson } from '../pytorch/network-json';
import type { InputNormalization } from '../tfjs/normalize-input';
import type { Frame, WireArray } from './frames';
import { TorchWorker, TorchWorkerError } from './worker-process';

/** What the worker builds: a network of the IR (python/ir_model.py), or the user's factory. */
export type TorchModelSource =
  | {
      readonly kind: 'ir';
      readonly network: NetworkJson;
      readonly mean?: readonly number[];
      readonly std?: readonly number[];
    }
  | { readonly kind: 'entry'; readonly entry: string; readonly baseDir: string };

export interface TorchModelOptions {
  readonly python: string;
  readonly source: TorchModelSource;
  readonly inputShape: InputShape;
  /** A torch.save state dict (wrappers and `module.` prefixes handled by the worker). */
  readonly weights?: string;
  /** Applied by the worker before the model, for models that expect normalised inputs. */
  readonly normalize?: InputNormalization;
  /** cpu, cuda or cuda:N; default CUDA when that PyTorch sees a GPU, else the CPU. */
  readonly device?: string;
  /** PyTorch's intra-op threads; default every core this process may use, as ONNX Runtime's. */
  readonly threads?: number;
  readonly seed?: number;
  readonly cwd?: string;
}

/** What the worker reported when it built the model. */
export interface TorchModelInfo {
  readonly device: string;
  readonly deviceName: string;
  readonly torchVersion: string;
  readonly notes: readonly string[];
}

type Arrays = (readonly [string, WireArray, readonly number[]])[];

/**
 * Any torch.nn.Module as the engine's Classifier and TrainableClassifier, run by the user's
 * PyTorch in a worker process (python/robustness_lens_worker) on its CPU or GPU. Images cross
 * the pipe as NHWC float32 in [0, 1], as they cross every back end; the worker turns them NCHW.
 * The state is the module's `state_dict()` by PyTorch names (integer buffers as float32), plus
 * `momentum:<parameter>` buffers once a step with momentum made them.
 */
export class TorchClassifier implements TrainableClassifier {
  private constructor(
    private readonly worker: TorchWorker,
    readonly inputShape: InputShape,
    readonly numClasses: number,
    private readonly params: number,
    readonly info: TorchModelInfo,
  ) {}

  /** Starts the worker and builds the model; rejects with the worker's reason when it cannot. */
  static async create(options: TorchModelOptions): Promise<TorchClassifier> {
    // The engine's thread policy for every back end (OnnxClassifier's too): all the cores this
    // process may use. Left to itself, a PyTorch whose OpenMP counts one core (Debian's here) runs on one.
    const threads = options.threads ?? os.availableParallelism();
    const worker = TorchWorker.start({
      python: options.python,
      threads,
      ...(options.cwd ? { cwd: options.cwd } : {}),
    });
    try {
      const { header } = await worker.request('load', {
        source: options.source,
        inputShape: options.inputShape,
        weights: options.weights ?? null,
        normalize: options.normalize ? { mean: [...options.normalize.mean], std: [...options.normalize.std] } : null,
        device: options.device ?? null,
        threads,
        seed: options.seed ?? null,
      });
      const info: TorchModelInfo = {
        device: String(header.device),
        deviceName: String(header.deviceName),
        torchVersion: String(header.torch),
        notes: Array.isArray(header.notes) ? header.notes.map(String) : [],
      };
      return new TorchClassifier(
        worker,
        options.inputShape,
        Number(header.numClasses),
        Number(header.paramCount),
        info,
      );
    } catch (error) {
      await worker.close();
      throw error;
    }
  }

  paramCount(): number {
    return this.params;
  }

  async logits(x: Float32Array, n: number): Promise<Float32Array> {
    const out = await this.worker.request('logits', {}, [this.images('x', x, n)]);
    return floats(out, 'logits', n * this.numClasses);
  }

  async inputGradient(x: Float32Array, n: number, objective: InputObjective): Promise<InputGradient> {
    const k = this.numClasses;
    const arrays: Arrays = [this.images('x', x, n)];
    if (objective.kind === 'kl') {
      if (objective.reference.length !== n * k)
        throw new RangeError(`expected ${n} x ${k} reference probabilities, got ${objective.reference.length} values`);
      arrays.push(['reference', objective.reference, [n, k]]);
    } else {
      arrays.push(['labels', objective.labels, [n]]);
      if (objective.kind === 'margin' || objective.kind === 'dlr-targeted')
        arrays.push(['targets', objective.targets, [n]]);
    }
    const out = await this.worker.request('inputGradient', { objective: objective.kind }, arrays);
    return {
      loss: floats(out, 'loss', n),
      grad: floats(out, 'grad', n * imageSize(this.inputShape)),
      logits: floats(out, 'logits', n * k),
    };
  }

  async trainStep(objective: TrainObjective, n: number, hyper: SgdHyper): Promise<StepResult> {
    const arrays: Arrays = [this.images('x', objective.x, n), ['labels', objective.labels, [n]]];
    if (objective.kind === 'trades') arrays.push(this.images('xAdv', objective.xAdv, n));
    const header = {
      objective: objective.kind,
      hyper: { ...hyper },
      ...(objective.kind === 'trades' ? { beta: objective.beta } : {}),
    };
    const out = await this.worker.request('trainStep', header, arrays);
    return { loss: Number(out.header.loss), logits: floats(out, 'logits', n * this.numClasses) };
  }

  async getState(): Promise<ModelState> {
    const out = await this.worker.request('getState');
    const tensors = new Map<string, { shape: readonly number[]; data: Float32Array }>();
    for (const [name, a] of out.arrays) tensors.set(name, { shape: a.shape, data: Float32Array.from(a.data) });
    return { tensors };
  }

  /** Sets every entry of `state`; without `partial`, refuses a state that lacks one of the module's. */
  async setState(state: ModelState, partial = false): Promise<void> {
    const arrays: Arrays = [...state.tensors].map(([name, t]) => [name, t.data, t.shape] as const);
    await this.worker.request('setState', { partial }, arrays);
  }

  /** Stops the worker (the TrainableClassifier contract: no await needed). */
  dispose(): Promise<void> {
    return this.worker.close();
  }

  private images(name: string, x: Float32Array, n: number): readonly [string, WireArray, readonly number[]] {
    const { height, width, channels } = this.inputShape;
    if (x.length !== n * height * width * channels)
      throw new RangeError(`${name}: ${x.length} values for ${n} images of ${height}x${width}x${channels}`);
    return [name, x, [n, height, width, channels]];
  }
}

function floats(frame: Frame, name: string, length: number): Float32Array {
  const a = frame.arrays.get(name);
  if (!(a?.data instanceof Float32Array) || a.data.length !== length) {
    throw new TorchWorkerError(`the torch worker's answer has no ${name} of ${length} values`);
  }
  return a.data;
}
