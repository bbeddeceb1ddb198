import { channelAxisOf } from './keras-config-values';
import { SOFTMAX_LOG_FLOOR, type KerasGraph, type KerasNode } from './keras-graph-data';
import { KerasEmitter } from './keras-layer-emitter';
import { clampedLog } from './keras-ops';
import type { Tape } from './tape';

/** Layers whose output may absorb the BatchNormalization that alone reads it. */
const CONV_CLASSES = new Set(['Conv2D', 'DepthwiseConv2D', 'SeparableConv2D']);

/**
 * Appends the inference forward pass of a Keras model to the tape's graph, from NCHW input `x`
 * to the logits. Values of rank 4 are kept NCHW (ONNX Runtime's layout) and every other value in
 * Keras's own layout; axes and layout-sensitive layers (Flatten, Reshape, Concatenate, PReLU) are
 * translated accordingly, so the result is tfjs's, layer for layer. A BatchNormalization that
 * alone reads a conv's output is folded into that conv.
 */
export function emitKerasGraph(tape: Tape, graph: KerasGraph, x: string): string {
  const emitter = new KerasEmitter(tape);
  const values = new Map<string, string>([[graph.input, x]]);
  const folded = foldableBatchNorms(graph);
  const absorbed = new Map<string, string>();
  for (const node of graph.nodes) {
    const inputs = node.inputs.map((i) => {
      const v = values.get(i);
      if (v === undefined) throw new Error(`${node.name}: its input ${i} was not computed`);
      return v;
    });
    const bnNode = folded.get(node.output);
    // A folded BatchNormalization's output is its conv's.
    const out = absorbed.get(node.output) ?? emitter.layer(node, inputs, bnNode);
    if (bnNode) absorbed.set(bnNode.output, out);
    values.set(node.output, out);
  }
  const out = values.get(graph.output);
  if (out === undefined) throw new Error(`${graph.name}: its output was not computed`);
  if (!graph.softmaxOutput) return out;
  return clampedLog(tape, out, SOFTMAX_LOG_FLOOR);
}

/** conv output key -> the BatchNormalization node that is its only reader (and folds into it). */
function foldableBatchNorms(graph: KerasGraph): Map<string, KerasNode> {
  const readers = new Map<string, KerasNode[]>();
  for (const node of graph.nodes) {
    for (const i of node.inputs) {
      const list = readers.get(i) ?? [];
      list.push(node);
      readers.set(i, list);
    }
  }
  const out = new Map<string, KerasNode>();
  for (const node of graph.nodes) {
    if (!CONV_CLASSES.has(node.className) || node.output === graph.output) continue;
    if ((node.config.activation ?? 'linear') !== 'linear') continue;
    const r = readers.get(node.output) ?? [];
    const bn = r[0];
    if (r.length === 1 && bn && bn.className === 'BatchNormalization' && channelAxisOf(bn.config.axis, 4) === 3)
      out.set(node.output, bn);
  }
  return out;
}
