import * as os from 'node:os';
import type { InferenceSession, Tensor } from 'onnxruntime-node';
import type { Network } from '../../core';
import {
  imageSize,
  type Classifier,
  type InputGradient,
  type InputObjective,
  type InputShape,
  type ModelState,
} from '../model/classifier';
import type { InputNormalization } from '../tfjs/normalize-input';
import { UnsupportedModelError } from '../tfjs/unsupported-model-error';
import { gradientModel, IO, logitsModel, type GraphSource } from './build-graphs';
import type { KerasGraph } from './keras-graph-data';
import { loadOnnxRuntime, type OnnxRuntime } from './load-onnxruntime';
import { objectiveFeeds } from './objective-graph';
import { floats, graphBatch, imageTensor, padRows, rows, sessionOptions } from './session-io';
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
 * A network of the IR run by ONNX Runtime in evaluation mode, with weights held on the host in the
 * engine's names and layouts (seeded initial weights, a checkpoint's or a PyTorch file's). Each
 * batch size and objective gets its own graph with every shape static and the weights as
 * constants, built and compiled once and reused for every call.
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
      throw new UnsupportedModelError(
        `${network.name} takes ${network.inputChannels}-channel images but the data has ` +
          `${options.inputShape.channels} channels`,
      );
    }
    const ort = loadOnnxRuntime();
    const source: GraphSource = {
      network,
      weights: new StateWeights(state),
      normalization: options.normalization,
      inputShape: options.inputShape,
      numClasses: options.numClasses,
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
    const source: GraphSource = {
      kind: 'keras',
      graph,
      inputShape: options.inputShape,
      numClasses: options.numClasses,
    };
    logitsModel(source, 1);
    return new OnnxClassifier(ort, source, options.threads ?? os.availableParallelism(), options.executionProvider);
  }

  async logits(x: Float32Array, n: number): Promise<Float32Array> {
    const m = graphBatch(this.sessions.keys(), 'logits', n);
    const session = await this.session(`logits:${m}`, () => logitsModel(this.source, m));
    const out = await session.run({ [IO.x]: imageTensor(this.ort, this.inputShape, x, n, m) });
    return rows(floats(out[IO.logits]), n * this.numClasses);
  }

  async inputGradient(x: Float32Array, n: number, objective: InputObjective): Promise<InputGradient> {
    const k = this.numClasses;
    const m = graphBatch(this.sessions.keys(), objective.kind, n);
    const feeds: Record<string, Tensor> = { [IO.x]: imageTensor(this.ort, this.inputShape, x, n, m) };
    for (const [name, data] of Object.entries(objectiveFeeds(objective, n, k)))
      feeds[name] = new this.ort.Tensor('float32', padRows(data, m * k), [m, k]);
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

  private session(key: string, build: () => Uint8Array): Promise<InferenceSession> {
    let session = this.sessions.get(key);
    if (!session) {
      session = this.ort.InferenceSession.create(build(), {
        // ORT's CPU arena stays on: without it every run takes its activations as fresh pages from
        // the OS (glibc maps large blocks and unmaps them on free), and the page faults made
        // APGD-CE 5.8x slower at batch 100 (86.9 s against 15.9 s for 1,000 images). FAB-T's target
        // groups keep what the arenas hold bounded (fab-t at batch 500 peaks at 925 MiB).
        ...sessionOptions(this.threads, this.provider),
      });
      // A failed compile is not cached: the next call reports it again.
      session.catch(() => this.sessions.delete(key));
      this.sessions.set(key, session);
    }
    return session;
  }
}
