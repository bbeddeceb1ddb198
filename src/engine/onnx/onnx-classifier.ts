import * as os from 'node:os';
import type { InferenceSession, Tensor } from 'onnxruntime-node';
import type { Network } from '../../core';
import { imageSize, type Classifier, type InputGradient, type InputObjective, type InputShape, type ModelState } from '../model/classifier';
import type { InputNormalization } from '../tfjs/normalize-input';
import { UnsupportedModelError } from '../tfjs/unsupported-model-error';
import { gradientModel, IO, logitsModel, type GraphSource } from './build-graphs';
import type { KerasGraph } from './keras-graph';
import { loadOnnxRuntime, type OnnxRuntime } from './load-onnxruntime';
import { objectiveFeeds } from './objective-graph';
import { StateWeights } from './state-weights';

export interface OnnxModelOptions {
  readonly inputShape: InputShape;
  readonly numClasses: number;
  readonly normalization?: InputNormalization;
  /** ORT's intra-op threads; default: every core this process may use. */
  readonly threads?: number;
  /** 'cuda' needs onnxruntime-node's CUDA 12 provider (run/backend-choice.ts checks it); default 'cpu'. */
  readonly executionProvider?: 'cpu' | 'cuda';
}

/**
 * A network of the IR run by ONNX Runtime in evaluation mode, with the weights of a checkpoint
 * (a tfjs classifier's `getState()`). Each batch size and objective gets its own graph with every
 * shape static and the weights as constants, built and compiled once and reused for every call.
 */
export class OnnxClassifier implements Classifier {
  private readonly sessions = new Map<string, Promise<InferenceSession>>();

  private constructor(
    private readonly ort: OnnxRuntime,
    private readonly source: GraphSource,
    private readonly threads: number,
    private readonly provider: 'cpu' | 'cuda' = 'cpu',
  ) {}

  get inputShape(): InputShape {
    return this.source.inputShape;
  }

  get numClasses(): number {
    return this.source.numClasses;
  }

  /**
   * Throws UnsupportedModelError for a network the graph emitter cannot build, and
   * OnnxRuntimeUnavailableError when onnxruntime-node is not installed.
   */
  static create(network: Network, state: ModelState, options: OnnxModelOptions): OnnxClassifier {
    if (network.inputChannels !== options.inputShape.channels) {
      throw new UnsupportedModelError(`${network.name} takes ${network.inputChannels}-channel images but the data has ${options.inputShape.channels} channels`);
    }
    const ort = loadOnnxRuntime();
    const source: GraphSource = {
      network, weights: new StateWeights(state), normalization: options.normalization, inputShape: options.inputShape, numClasses: options.numClasses,
    };
    // Emitting the one-image graph checks every layer, shape and weight now rather than on the first batch.
    logitsModel(source, 1);
    return new OnnxClassifier(ort, source, options.threads ?? os.availableParallelism(), options.executionProvider);
  }

  /**
   * A TF.js LayersModel (keras-graph.ts) on ONNX Runtime; it normalises its own input, so
   * `options.normalization` is not used. Throws as `create` does.
   */
  static fromKerasGraph(graph: KerasGraph, options: OnnxModelOptions): OnnxClassifier {
    const ort = loadOnnxRuntime();
    const source: GraphSource = { kind: 'keras', graph, inputShape: options.inputShape, numClasses: options.numClasses };
    logitsModel(source, 1);
    return new OnnxClassifier(ort, source, options.threads ?? os.availableParallelism(), options.executionProvider);
  }

  async logits(x: Float32Array, n: number): Promise<Float32Array> {
    const m = this.graphBatch('logits', n);
    const session = await this.session(`logits:${m}`, () => logitsModel(this.source, m));
    const out = await session.run({ [IO.x]: this.images(x, n, m) });
    return rows(floats(out[IO.logits]), n * this.numClasses);
  }

  async inputGradient(x: Float32Array, n: number, objective: InputObjective): Promise<InputGradient> {
    const k = this.numClasses;
    const m = this.graphBatch(objective.kind, n);
    const feeds: Record<string, Tensor> = { [IO.x]: this.images(x, n, m) };
    for (const [name, data] of Object.entries(objectiveFeeds(objective, n, k))) feeds[name] = new this.ort.Tensor('float32', padRows(data, m * k), [m, k]);
    const session = await this.session(`${objective.kind}:${m}`, () => gradientModel(this.source, m, objective.kind));
    const out = await session.run(feeds);
    return {
      loss: rows(floats(out[IO.loss]), n),
      grad: rows(floats(out[IO.grad]), n * imageSize(this.inputShape)),
      logits: rows(floats(out[IO.logits]), n * k),
    };
  }

  /** Compiled graphs held now (one per objective kind and graph batch size). */
  get compiledGraphs(): number {
    return this.sessions.size;
  }

  /** Releases every compiled session; the classifier builds them again if used afterwards. */
  async dispose(): Promise<void> {
    const sessions = [...this.sessions.values()];
    this.sessions.clear();
    await Promise.all(sessions.map(async (s) => (await s.catch(() => undefined))?.release()));
  }

  private images(x: Float32Array, n: number, m: number): Tensor {
    const { height, width, channels } = this.inputShape;
    const size = imageSize(this.inputShape);
    if (x.length !== n * size) throw new RangeError(`expected ${n} images of ${size} values, got ${x.length} values`);
    return new this.ort.Tensor('float32', padRows(x, m * size), [m, height, width, channels]);
  }

  /**
   * The batch size of the graph that runs n images: the smallest one already compiled for this
   * kind that holds them with at most as many padding rows as real ones, else n itself. Attacks
   * shrink their batches to the points still robust; without this every new size would compile a
   * graph (about half a second for a ResNet-20) and keep it. Every op is per sample in evaluation
   * mode, so padding rows (zeros) change nothing in the real ones.
   */
  private graphBatch(kind: string, n: number): number {
    let best = n;
    let found = false;
    for (const key of this.sessions.keys()) {
      const [k, size] = key.split(':');
      const m = Number(size);
      if (k === kind && m >= n && m <= 2 * n && (!found || m < best)) {
        best = m;
        found = true;
      }
    }
    return best;
  }

  private session(key: string, build: () => Uint8Array): Promise<InferenceSession> {
    let session = this.sessions.get(key);
    if (!session) {
      session = this.ort.InferenceSession.create(build(), {
        graphOptimizationLevel: 'all',
        // CUDA leaves the few ops it lacks to the CPU provider.
        executionProviders: this.provider === 'cuda' ? ['cuda', 'cpu'] : ['cpu'],
        intraOpNumThreads: this.threads,
        interOpNumThreads: 1,
        executionMode: 'sequential',
        // Errors only: ORT's warnings (an initializer it pruned, say) are not the user's to act on.
        logSeverityLevel: 3,
      });
      // A failed compile is not cached: the next call reports it again.
      session.catch(() => this.sessions.delete(key));
      this.sessions.set(key, session);
    }
    return session;
  }
}

/** `data` followed by zeros up to `length`, or itself when it is that long already. */
function padRows(data: Float32Array, length: number): Float32Array {
  if (data.length === length) return data;
  const out = new Float32Array(length);
  out.set(data);
  return out;
}

/** The first `length` values, without a copy. */
function rows(data: Float32Array, length: number): Float32Array {
  return data.length === length ? data : data.subarray(0, length);
}

function floats(t: Tensor | undefined): Float32Array {
  if (!t || !(t.data instanceof Float32Array)) throw new Error('onnxruntime returned no float32 output');
  return t.data;
}
