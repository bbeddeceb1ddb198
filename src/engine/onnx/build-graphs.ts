import type { Network } from '../../core';
import type { InputShape } from '../model/classifier';
import type { InputNormalization } from '../tfjs/normalize-input';
import { UnsupportedModelError } from '../tfjs/unsupported-model-error';
import { emitKerasGraph } from './emit-keras';
import { emitNetwork } from './emit-network';
import { GraphBuilder } from './graph-builder';
import type { KerasGraph } from './keras-graph-data';
import { emitObjective, type ObjectiveKind } from './objective-graph';
import type { StateWeights } from './state-weights';
import { Tape } from './tape';
import { transpose } from './tensor-ops';

/** What every graph of one model shares: a network of the IR with a checkpoint's weights, or a TF.js LayersModel. */
export type GraphSource = NetworkGraphSource | KerasGraphSource;

export interface NetworkGraphSource {
  readonly kind?: 'network';
  readonly network: Network;
  readonly weights: StateWeights;
  readonly normalization: InputNormalization | undefined;
  readonly inputShape: InputShape;
  readonly numClasses: number;
}

/** A TF.js model.json's layers and weights; it brings its own input normalisation. */
export interface KerasGraphSource {
  readonly kind: 'keras';
  readonly graph: KerasGraph;
  readonly inputShape: InputShape;
  readonly numClasses: number;
}

/** Graph input and output names. */
export const IO = { x: 'x', logits: 'logits', loss: 'loss', grad: 'grad' } as const;

/**
 * The forward graph for batches of n: NHWC images in, logits out. The images are transposed to
 * NCHW once, inside the graph, where ORT's convs want them.
 */
export function logitsModel(source: GraphSource, n: number): Uint8Array {
  const { tape, logits } = forward(source, n);
  tape.graph.output(logits, IO.logits);
  return tape.graph.toBytes();
}

/**
 * The input-gradient graph of one objective for batches of n: per-sample loss, its gradient with
 * respect to the NHWC input, and the logits, from one forward and one backward pass.
 */
export function gradientModel(source: GraphSource, n: number, kind: ObjectiveKind): Uint8Array {
  const { tape, logits, x } = forward(source, n);
  const g = tape.graph;
  const objective = emitObjective(g, logits, kind);
  const grad = tape.gradient(logits, objective.seed, x);
  g.output(objective.loss, IO.loss);
  g.output(grad, IO.grad);
  g.output(logits, IO.logits);
  return g.toBytes();
}

function forward(source: GraphSource, n: number): { tape: Tape; logits: string; x: string } {
  const { height, width, channels } = source.inputShape;
  const tape = new Tape(new GraphBuilder());
  const x = tape.graph.input(IO.x, [n, height, width, channels]);
  const nchw = transpose(tape, x, [0, 3, 1, 2]);
  const logits =
    source.kind === 'keras'
      ? emitKerasGraph(tape, source.graph, nchw)
      : emitNetwork(tape, source.network, source.weights, source.normalization, nchw);
  const shape = tape.graph.shape(logits);
  if (shape.length !== 2 || shape[1] !== source.numClasses) {
    const name = source.kind === 'keras' ? source.graph.name : source.network.name;
    throw new UnsupportedModelError(
      `${name} outputs shape [${shape.join(', ')}] for ${n} ${height}x${width} images; ` +
        `expected [${n}, ${source.numClasses}] logits`,
    );
  }
  return { tape, logits, x };
}
