import type { Network } from '../../core';
import type { InputShape } from '../model/classifier';
import type { InputNormalization } from '../tfjs/normalize-input';
import { UnsupportedModelError } from '../tfjs/unsupported-model-error';
import {
  bufferInput,
  emitTrainableNetwork,
  paramInput,
  ValueRegistry,
  type BufferSpec,
  type EmitMode,
  type ParamSpec,
} from './emit-train-network';
import { GraphBuilder } from './graph-builder';
import { emitObjective, FEED, type ObjectiveKind } from './objective-graph';
import { Tape } from './tape';
import { transpose } from './tensor-ops';
import { blockLayouts } from './blocked-layout';

/** What every graph of a model in training shares. */
export interface TrainGraphSource {
  readonly network: Network;
  readonly normalization: InputNormalization | undefined;
  readonly inputShape: InputShape;
  readonly numClasses: number;
  /**
   * The channel block of ORT's blocked-layout CPU kernels (block-size.ts), or undefined to keep
   * every value plain (no such kernels; another execution provider).
   */
  readonly block?: number;
}

/** A compiled graph's bytes and the parameters and buffers it reads (graph inputs). */
export interface EmittedGraph {
  readonly bytes: Uint8Array;
  readonly params: readonly ParamSpec[];
  readonly buffers: readonly BufferSpec[];
}

/** Graph input and output names of the training graphs. */
export const TRAIN_IO = {
  x: 'x',
  xAdv: 'x_adv',
  labels: FEED.labels,
  learningRate: 'lr',
  momentum: 'momentum',
  weightDecay: 'weight_decay',
  beta: 'beta',
  loss: 'loss',
  logits: 'logits',
  grad: 'grad',
} as const;

export function momentumInput(name: string): string {
  return `m:${name}`;
}

/** The graph output carrying a parameter, buffer or momentum value after the step. */
export function updated(input: string): string {
  return `new:${input}`;
}

export interface SgdVariant {
  /** Whether the graph keeps momentum buffers (inputs and outputs): momentum > 0. */
  readonly momentum: boolean;
  readonly nesterov: boolean;
}

/**
 * One whole training step for batches of n: the training-mode forward pass (twice for TRADES:
 * natural and adversarial images, each with its own batch statistics), the mean loss, the
 * gradients of every parameter, BatchNorm's running-statistics updates and SGD's update as
 * torch.optim.SGD defines it (dampening 0; decay g + wd p on conv and linear weights only; buf =
 * m buf + g; step along buf, or g + m buf with Nesterov), all in one graph: the host feeds the
 * weights and reads them back updated, so one session serves every step.
 */
export function trainStepModel(
  source: TrainGraphSource,
  n: number,
  kind: 'ce' | 'trades',
  sgd: SgdVariant,
): EmittedGraph {
  const g = new GraphBuilder();
  const tape = new Tape(g);
  const registry = new ValueRegistry(g);
  const k = source.numClasses;
  const nk = [n, k];
  const natural = forwardFrom(tape, registry, source, n, TRAIN_IO.x, 'train');
  const y = g.input(TRAIN_IO.labels, nk);
  const op = (name: string, ...inputs: string[]): string => g.node(name, inputs, nk);
  const rowSum = (v: string): string => g.node('ReduceSum', [v, g.ints([1])], [n, 1], { keepdims: 1 });
  const logP = g.node('LogSoftmax', [natural], nk, { axis: 1 });
  const p = g.node('Softmax', [natural], nk, { axis: 1 });
  // Mean cross-entropy; d/dz = (softmax - y) / n.
  let loss = g.node('ReduceMean', [g.node('Neg', [rowSum(op('Mul', logP, y))], [n, 1])], [], { keepdims: 0 });
  let seedNatural = op('Mul', op('Sub', p, y), g.scalar(1 / n));
  const seeds: [string, string][] = [];
  if (kind === 'trades') {
    const adversarial = forwardFrom(tape, registry, source, n, TRAIN_IO.xAdv, 'train');
    const beta = g.input(TRAIN_IO.beta, []);
    const logQ = g.node('LogSoftmax', [adversarial], nk, { axis: 1 });
    const q = g.node('Softmax', [adversarial], nk, { axis: 1 });
    const ratio = op('Sub', logP, logQ);
    const kl = rowSum(op('Mul', p, ratio));
    loss = g.node('Add', [loss, g.node('Mul', [g.node('ReduceMean', [kl], [], { keepdims: 0 }), beta], [])], []);
    // KL(p || q) per sample (Zhang et al., 2019): d/dz_adv = q - p; d/dz_nat = p (L - <p, L>), L = log p - log q.
    const weight = g.node('Mul', [beta, g.scalar(1 / n)], []);
    seedNatural = op('Add', seedNatural, op('Mul', op('Mul', p, g.node('Sub', [ratio, kl], nk)), weight));
    seeds.push([adversarial, op('Mul', op('Sub', q, p), weight)]);
  }
  seeds.unshift([natural, seedNatural]);
  const params = registry.params;
  const grads = tape.gradients(
    seeds,
    params.map((s) => paramInput(s.name)),
  );
  const lr = g.input(TRAIN_IO.learningRate, []);
  const momentum = sgd.momentum ? g.input(TRAIN_IO.momentum, []) : undefined;
  const decay = g.input(TRAIN_IO.weightDecay, []);
  params.forEach((spec, i) => {
    const w = paramInput(spec.name);
    const grad = grads[i];
    if (grad === undefined) {
      // tfjs leaves a parameter without a gradient (and its momentum) untouched.
      g.output(w, updated(w));
      if (momentum) g.output(g.input(momentumInput(spec.name), spec.shape), updated(momentumInput(spec.name)));
      return;
    }
    const decayed = spec.decay ? g.node('Add', [grad, g.node('Mul', [w, decay], spec.shape)], spec.shape) : grad;
    let direction = decayed;
    if (momentum) {
      const buffer = g.node(
        'Add',
        [g.node('Mul', [g.input(momentumInput(spec.name), spec.shape), momentum], spec.shape), decayed],
        spec.shape,
      );
      g.output(buffer, updated(momentumInput(spec.name)));
      direction = sgd.nesterov
        ? g.node('Add', [decayed, g.node('Mul', [buffer, momentum], spec.shape)], spec.shape)
        : buffer;
    }
    g.output(g.node('Sub', [w, g.node('Mul', [direction, lr], spec.shape)], spec.shape), updated(w));
  });
  for (const b of registry.buffers) {
    const input = bufferInput(b.name);
    const next = registry.bufferUpdates.get(b.name);
    g.output(next ?? input, updated(input));
  }
  g.output(loss, TRAIN_IO.loss);
  g.output(natural, TRAIN_IO.logits);
  return { bytes: finish(g, source), params: [...params], buffers: [...registry.buffers] };
}

/** The evaluation-mode forward graph (running statistics), weights fed as inputs. */
export function evalLogitsModel(source: TrainGraphSource, n: number): EmittedGraph {
  const g = new GraphBuilder();
  const tape = new Tape(g);
  const registry = new ValueRegistry(g);
  const logits = forwardFrom(tape, registry, source, n, TRAIN_IO.x, 'eval');
  g.output(logits, TRAIN_IO.logits);
  return { bytes: finish(g, source), params: [...registry.params], buffers: [...registry.buffers] };
}

/** The evaluation-mode input-gradient graph of one objective (build-graphs.ts's, weights fed as inputs). */
export function evalGradientModel(source: TrainGraphSource, n: number, kind: ObjectiveKind): EmittedGraph {
  const g = new GraphBuilder();
  const tape = new Tape(g);
  const registry = new ValueRegistry(g);
  const logits = forwardFrom(tape, registry, source, n, TRAIN_IO.x, 'eval');
  const objective = emitObjective(g, logits, kind);
  const grad = tape.gradient(logits, objective.seed, TRAIN_IO.x);
  g.output(objective.loss, TRAIN_IO.loss);
  g.output(grad, TRAIN_IO.grad);
  g.output(logits, TRAIN_IO.logits);
  return { bytes: finish(g, source), params: [...registry.params], buffers: [...registry.buffers] };
}

/** The parameters and buffers of the network (read from the training graph's emission, batch 2). */
export function modelValues(source: TrainGraphSource): {
  params: readonly ParamSpec[];
  buffers: readonly BufferSpec[];
} {
  const g = new GraphBuilder();
  const registry = new ValueRegistry(g);
  forwardFrom(new Tape(g), registry, source, 2, TRAIN_IO.x, 'train');
  return { params: registry.params, buffers: registry.buffers };
}

/** The graph's bytes, its convs on the blocked kernels where the source says there are some. */
function finish(g: GraphBuilder, source: TrainGraphSource): Uint8Array {
  if (source.block !== undefined) blockLayouts(g, source.block);
  return g.toBytes();
}

function forwardFrom(
  tape: Tape,
  registry: ValueRegistry,
  source: TrainGraphSource,
  n: number,
  input: string,
  mode: EmitMode,
): string {
  const { height, width, channels } = source.inputShape;
  const x = tape.graph.input(input, [n, height, width, channels]);
  const logits = emitTrainableNetwork(
    tape,
    registry,
    source.network,
    source.normalization,
    transpose(tape, x, [0, 3, 1, 2]),
    mode,
  );
  const shape = tape.graph.shape(logits);
  if (shape.length !== 2 || shape[1] !== source.numClasses) {
    throw new UnsupportedModelError(
      `${source.network.name} outputs shape [${shape.join(', ')}] for ${n} ` +
        `${height}x${width} images; expected [${n}, ${source.numClasses}] logits`,
    );
  }
  return logits;
}
