import * as os from 'node:os';
import type { InferenceSession, Tensor } from 'onnxruntime-node';
import type { Network } from '../../core';
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
import type { InputNormalization } from '../tfjs/normalize-input';
import { UnsupportedModelError } from '../tfjs/unsupported-model-error';
import { yieldToEventLoop } from '../util/yield';
import { bufferInput, paramInput, type BufferSpec, type ParamSpec } from './emit-train-network';
import { loadOnnxRuntime, type OnnxRuntime } from './load-onnxruntime';
import { nchwcBlockSize } from './block-size';
import { FEED, objectiveFeeds } from './objective-graph';
import { size } from './graph-builder';
import { floats, graphBatch, imageTensor, padRows, rows, sessionOptions } from './session-io';
import {
  evalGradientModel,
  evalLogitsModel,
  modelValues,
  momentumInput,
  TRAIN_IO,
  trainStepModel,
  updated,
  type EmittedGraph,
  type TrainGraphSource,
} from './train-graphs';

export interface OnnxTrainableOptions {
  readonly inputShape: InputShape;
  readonly numClasses: number;
  readonly normalization?: InputNormalization;
  /** ORT's intra-op threads; default: every core this process may use. */
  readonly threads?: number;
  /**
   * Whether the graphs run their convs on ORT's blocked-layout kernels where this CPU has them
   * (blocked-layout.ts; default true). False keeps every value NCHW, for comparisons.
   */
  readonly blockedLayout?: boolean;
}

interface CompiledGraph {
  readonly session: InferenceSession;
  readonly params: readonly ParamSpec[];
  readonly buffers: readonly BufferSpec[];
}

const MOMENTUM_PREFIX = 'momentum:';

/**
 * A network of the IR trained on ONNX Runtime with the semantics of the tfjs TfjsClassifier:
 * training-mode BatchNorm with PyTorch's running-statistics updates, CE and TRADES losses, and
 * torch.optim.SGD's step, all inside one graph per (objective, batch size, SGD variant). The
 * weights live on the host between calls, in the graphs' layouts, and are fed as inputs, so the
 * sessions compiled once serve every step. The attacks of the inner maximisation and the
 * per-epoch evaluation run in evaluation mode (running statistics), as tfjs's inputGradient does,
 * with the weights fed too: graphs with the weights as constants are about 20% faster per call,
 * but a fresh session's first two runs took 1.7x a steady one's (memory arena growth), more than
 * rebuilding them after every step saves.
 * `getState()` and `setState()` speak the tfjs ParameterStore's names and layouts (conv kernels
 * HWIO, `momentum:<name>` buffers), so a checkpoint moves between the two back ends.
 */
export class OnnxTrainableClassifier implements TrainableClassifier {
  private readonly sessions = new Map<string, Promise<CompiledGraph>>();
  /** Parameters and BatchNorm buffers by name, in the graphs' layouts. */
  private readonly values = new Map<string, Float32Array>();
  /** SGD momentum buffers by parameter name; absent until a step with momentum made them (as in tfjs). */
  private readonly momentum = new Map<string, Float32Array>();

  private constructor(
    private readonly ort: OnnxRuntime,
    private readonly source: TrainGraphSource,
    private readonly params: readonly ParamSpec[],
    private readonly buffers: readonly BufferSpec[],
    /** The checkpoint's order of entries (the tfjs store's), for getState. */
    private readonly order: readonly string[],
    private readonly threads: number,
  ) {}

  get inputShape(): InputShape {
    return this.source.inputShape;
  }

  get numClasses(): number {
    return this.source.numClasses;
  }

  /**
   * A classifier starting from `state`: host arrays in the engine's names and layouts (the seeded
   * initial weights of weights/initial-weights.ts, a PyTorch file's, a checkpoint's; no tfjs
   * needed). Throws UnsupportedModelError naming the layer when the graph emitter cannot build the
   * network, and OnnxRuntimeUnavailableError when onnxruntime-node is not installed.
   */
  static async create(
    network: Network,
    state: ModelState,
    options: OnnxTrainableOptions,
  ): Promise<OnnxTrainableClassifier> {
    if (network.inputChannels !== options.inputShape.channels) {
      throw new UnsupportedModelError(
        `${network.name} takes ${network.inputChannels}-channel images but the data has ` +
          `${options.inputShape.channels} channels`,
      );
    }
    const ort = loadOnnxRuntime();
    const block = options.blockedLayout === false ? undefined : await nchwcBlockSize(ort);
    const source: TrainGraphSource = {
      network,
      normalization: options.normalization,
      inputShape: options.inputShape,
      numClasses: options.numClasses,
      block,
    };
    const { params, buffers } = modelValues(source);
    const names = new Set([...params.map((p) => p.name), ...buffers.map((b) => b.name)]);
    const order = [...state.tensors.keys()].filter((k) => names.delete(k));
    order.push(...names);
    const model = new OnnxTrainableClassifier(
      ort,
      source,
      params,
      buffers,
      order,
      options.threads ?? os.availableParallelism(),
    );
    await model.setState(state);
    return model;
  }

  paramCount(): number {
    return this.params.reduce((sum, p) => sum + size(p.shape), 0);
  }

  async logits(x: Float32Array, n: number): Promise<Float32Array> {
    await yieldToEventLoop();
    const m = graphBatch(this.sessions.keys(), 'logits', n);
    const graph = await this.compile(`logits:${m}`, () => evalLogitsModel(this.source, m));
    const out = await graph.session.run({
      ...this.weightFeeds(graph),
      [TRAIN_IO.x]: imageTensor(this.ort, this.inputShape, x, n, m),
    });
    return rows(floats(out[TRAIN_IO.logits]), n * this.numClasses);
  }

  async inputGradient(x: Float32Array, n: number, objective: InputObjective): Promise<InputGradient> {
    await yieldToEventLoop();
    const k = this.numClasses;
    const m = graphBatch(this.sessions.keys(), objective.kind, n);
    const graph = await this.compile(`${objective.kind}:${m}`, () => evalGradientModel(this.source, m, objective.kind));
    const feeds: Record<string, Tensor> = {
      ...this.weightFeeds(graph),
      [TRAIN_IO.x]: imageTensor(this.ort, this.inputShape, x, n, m),
    };
    for (const [name, data] of Object.entries(objectiveFeeds(objective, n, k)))
      feeds[name] = new this.ort.Tensor('float32', padRows(data, m * k), [m, k]);
    const out = await graph.session.run(feeds);
    return {
      loss: rows(floats(out[TRAIN_IO.loss]), n),
      grad: rows(floats(out[TRAIN_IO.grad]), n * imageSize(this.inputShape)),
      logits: rows(floats(out[TRAIN_IO.logits]), n * k),
    };
  }

  async trainStep(objective: TrainObjective, n: number, hyper: SgdHyper): Promise<StepResult> {
    await yieldToEventLoop();
    const sgd = { momentum: hyper.momentum > 0, nesterov: hyper.momentum > 0 && hyper.nesterov };
    const key = `train:${objective.kind}:${n}:${sgd.momentum ? 'm' : '-'}${sgd.nesterov ? 'n' : '-'}`;
    const graph = await this.compile(key, () => trainStepModel(this.source, n, objective.kind, sgd));
    const scalar = (v: number): Tensor => new this.ort.Tensor('float32', Float32Array.of(v), []);
    const feeds: Record<string, Tensor> = {
      ...this.weightFeeds(graph),
      [TRAIN_IO.x]: imageTensor(this.ort, this.inputShape, objective.x, n, n),
      [TRAIN_IO.labels]: new this.ort.Tensor(
        'float32',
        objectiveFeeds({ kind: 'ce', labels: objective.labels }, n, this.numClasses)[FEED.labels] as Float32Array,
        [n, this.numClasses],
      ),
      [TRAIN_IO.learningRate]: scalar(hyper.learningRate),
      [TRAIN_IO.weightDecay]: scalar(hyper.weightDecay),
    };
    if (sgd.momentum) {
      feeds[TRAIN_IO.momentum] = scalar(hyper.momentum);
      for (const p of graph.params)
        feeds[momentumInput(p.name)] = new this.ort.Tensor(
          'float32',
          this.momentum.get(p.name) ?? new Float32Array(size(p.shape)),
          [...p.shape],
        );
    }
    if (objective.kind === 'trades') {
      feeds[TRAIN_IO.xAdv] = imageTensor(this.ort, this.inputShape, objective.xAdv, n, n);
      feeds[TRAIN_IO.beta] = scalar(objective.beta);
    }
    const out = await graph.session.run(feeds);
    for (const p of graph.params) {
      this.values.set(p.name, floats(out[updated(paramInput(p.name))]));
      if (sgd.momentum) this.momentum.set(p.name, floats(out[updated(momentumInput(p.name))]));
    }
    for (const b of graph.buffers) this.values.set(b.name, floats(out[updated(bufferInput(b.name))]));
    return { loss: floats(out[TRAIN_IO.loss])[0] ?? Number.NaN, logits: floats(out[TRAIN_IO.logits]) };
  }

  async getState(): Promise<ModelState> {
    await Promise.resolve();
    const tensors = new Map<string, { shape: readonly number[]; data: Float32Array }>();
    const specs = new Map<string, ParamSpec | BufferSpec>([...this.params, ...this.buffers].map((s) => [s.name, s]));
    for (const name of this.order) {
      const spec = specs.get(name) as ParamSpec | BufferSpec;
      tensors.set(name, toState(spec, this.values.get(name) as Float32Array));
    }
    // In parameter order, as tfjs's buffers are created by its first step.
    for (const p of this.params) {
      const m = this.momentum.get(p.name);
      if (m) tensors.set(`${MOMENTUM_PREFIX}${p.name}`, toState(p, m));
    }
    return { tensors };
  }

  async setState(state: ModelState): Promise<void> {
    await Promise.resolve();
    const next = new Map<string, Float32Array>();
    for (const spec of [...this.params, ...this.buffers]) next.set(spec.name, fromState(state, spec.name, spec));
    const momentum = new Map<string, Float32Array>();
    for (const key of state.tensors.keys()) {
      if (!key.startsWith(MOMENTUM_PREFIX)) continue;
      const name = key.slice(MOMENTUM_PREFIX.length);
      const spec = this.params.find((p) => p.name === name);
      if (!spec) throw new Error(`the checkpoint has momentum for ${name}, which the model does not have`);
      momentum.set(name, fromState(state, key, spec));
    }
    for (const [k, v] of next) this.values.set(k, v);
    this.momentum.clear();
    for (const [k, v] of momentum) this.momentum.set(k, v);
  }

  /** Compiled graphs held now. */
  get compiledGraphs(): number {
    return this.sessions.size;
  }

  /** Releases every compiled session (the TrainableClassifier contract: no await needed). */
  dispose(): void {
    const sessions = [...this.sessions.values()];
    this.sessions.clear();
    for (const s of sessions)
      void s.then(
        (c) => c.session.release(),
        () => undefined,
      );
  }

  private weightFeeds(graph: CompiledGraph): Record<string, Tensor> {
    const feeds: Record<string, Tensor> = {};
    for (const p of graph.params)
      feeds[paramInput(p.name)] = new this.ort.Tensor('float32', this.values.get(p.name) as Float32Array, [...p.shape]);
    for (const b of graph.buffers)
      feeds[bufferInput(b.name)] = new this.ort.Tensor('float32', this.values.get(b.name) as Float32Array, [
        ...b.shape,
      ]);
    return feeds;
  }

  private compile(key: string, build: () => EmittedGraph): Promise<CompiledGraph> {
    let compiled = this.sessions.get(key);
    if (!compiled) {
      const emitted = build();
      compiled = this.ort.InferenceSession.create(emitted.bytes, sessionOptions(this.threads)).then(
        (session) => ({ session, params: emitted.params, buffers: emitted.buffers }),
        (error: unknown) => {
          const detail = error instanceof Error ? error.message.split('\n')[0] : String(error);
          throw new UnsupportedModelError(
            `onnxruntime cannot compile the ${key.split(':')[0]} graph of ` +
              `${this.source.network.name}: ${detail}; the tfjs back end runs this model`,
          );
        },
      );
      compiled.catch(() => this.sessions.delete(key));
      this.sessions.set(key, compiled);
    }
    return compiled;
  }
}

/** A checkpoint entry from a graph value: conv kernels OIHW -> HWIO. */
function toState(spec: ParamSpec | BufferSpec, data: Float32Array): { shape: readonly number[]; data: Float32Array } {
  if (!('conv' in spec) || !spec.conv) return { shape: [...spec.shape], data: Float32Array.from(data) };
  const [o, i, kh, kw] = spec.shape as [number, number, number, number];
  const hwio = new Float32Array(data.length);
  for (let y = 0; y < kh; y++) {
    for (let x = 0; x < kw; x++) {
      for (let a = 0; a < i; a++) {
        for (let b = 0; b < o; b++)
          hwio[((y * kw + x) * i + a) * o + b] = data[((b * i + a) * kh + y) * kw + x] as number;
      }
    }
  }
  return { shape: [...spec.stateShape], data: hwio };
}

/** A graph value from a checkpoint entry, refusing a missing one or one of another shape. */
function fromState(state: ModelState, key: string, spec: ParamSpec | BufferSpec): Float32Array {
  const entry = state.tensors.get(key);
  if (!entry) throw new Error(`the checkpoint has no tensor ${key}`);
  const expected = 'stateShape' in spec ? spec.stateShape : spec.shape;
  if (entry.shape.length !== expected.length || entry.shape.some((d, i) => d !== expected[i])) {
    throw new Error(
      `the checkpoint's ${key} has shape [${entry.shape.join(', ')}], the model's [${expected.join(', ')}]`,
    );
  }
  if (!('conv' in spec) || !spec.conv) return Float32Array.from(entry.data);
  const [kh, kw, i, o] = expected as [number, number, number, number];
  const oihw = new Float32Array(entry.data.length);
  for (let y = 0; y < kh; y++) {
    for (let x = 0; x < kw; x++) {
      for (let a = 0; a < i; a++) {
        for (let b = 0; b < o; b++)
          oihw[((b * i + a) * kh + y) * kw + x] = entry.data[((y * kw + x) * i + a) * o + b] as number;
      }
    }
  }
  return oihw;
}
