import { valueOf, type Fact, type Layer, type Network } from '../../core';
import { PASS_THROUGH } from '../model/pass-through';
import type { InputNormalization } from '../tfjs/normalize-input';
import { UnsupportedModelError } from '../tfjs/unsupported-model-error';
import { standardize } from './norm-ops';
import { avgPool, maxPool } from './pool-ops';
import type { Tape } from './tape';
import { add, channelAffine, reshape, spatialMax, spatialMean } from './tensor-ops';

/**
 * The parts of emitting an IR network that do not depend on how its weights enter the graph
 * (constants folded for attacks, graph values for training): both emitters walk the network here
 * and differ only in `sequence`, which emits a run of layers.
 */
export function walkNetwork(
  tape: Tape,
  network: Network,
  normalization: InputNormalization | undefined,
  x: string,
  sequence: (layers: readonly Layer[], x: string) => string,
): string {
  if (network.stages.some((s) => (valueOf(s.facts.denseRatio) ?? 0) > 0)) {
    throw new UnsupportedModelError(
      `${network.name}: dense connections between blocks (guideline 8) are not built by ` +
        `the onnxruntime back end; the tfjs back end cannot run them either yet`,
    );
  }
  let h = x;
  if (normalization) h = normalizeInput(tape, h, normalization, network.inputChannels);
  h = sequence(network.stem.layers, h);
  for (const stage of network.stages) {
    for (const block of stage.blocks) {
      if (block.shortcut.length === 0 && valueOf(block.facts.shortcut) === undefined) {
        const reason = block.facts.shortcut.known ? 'known' : block.facts.shortcut.reason;
        throw new UnsupportedModelError(`${block.name}: its shortcut is unknown (${reason})`);
      }
      const branch = sequence(block.layers, h);
      const shortcut = block.shortcut.length > 0 ? sequence(block.shortcut, h) : h;
      h = sequence(block.after, add(tape, branch, shortcut));
    }
  }
  return sequence(network.head.layers, h);
}

function normalizeInput(tape: Tape, x: string, n: InputNormalization, channels: number): string {
  if (n.mean.length !== channels || n.std.length !== channels) {
    throw new UnsupportedModelError(
      `input normalisation has ${n.mean.length} channels but the model takes ${channels}`,
    );
  }
  const scale = Float32Array.from(n.std, (s) => 1 / s);
  return channelAffine(
    tape,
    x,
    scale,
    Float32Array.from(n.mean, (m, i) => -m * (scale[i] as number)),
  );
}

/** A fact the computation needs; unknown, it is an error naming the layer, never a guess. */
export function need<T>(fact: Fact<T>, layer: { readonly name: string }, what: string): T {
  if (!fact.known) throw new UnsupportedModelError(`${layer.name}: its ${what} is unknown (${fact.reason})`);
  return fact.value;
}

export function emitPool(tape: Tape, layer: Extract<Layer, { kind: 'pool' }>, x: string): string {
  if (layer.outputSize) {
    const [oh, ow] = layer.outputSize;
    const [, , h, w] = tape.graph.shape(x) as [number, number, number, number];
    if (oh === 1 && ow === 1) return layer.pool === 'max' ? spatialMax(tape, x) : spatialMean(tape, x);
    if (h % oh !== 0 || w % ow !== 0)
      throw new UnsupportedModelError(
        `${layer.name}: adaptive pooling from ${h}x${w} to ${oh}x${ow} needs sizes that divide evenly`,
      );
    const geometry = { kernel: [h / oh, w / ow] as const, stride: [h / oh, w / ow] as const, padding: [0, 0] as const };
    return layer.pool === 'max' ? maxPool(tape, x, geometry) : avgPool(tape, x, geometry);
  }
  const geometry = {
    kernel: need(layer.kernel, layer, 'kernel_size'),
    stride: need(layer.stride, layer, 'stride'),
    padding: need(layer.padding, layer, 'padding'),
  };
  return layer.pool === 'max' ? maxPool(tape, x, geometry) : avgPool(tape, x, geometry);
}

/** Instance, layer or group norm before its affine part (BatchNorm is the emitters' own). */
export function standardizeNorm(
  tape: Tape,
  layer: Extract<Layer, { kind: 'norm' }>,
  x: string,
  channels: number,
): string {
  const shape = tape.graph.shape(x);
  if (shape.length !== 4)
    throw new UnsupportedModelError(
      `${layer.name}: ${layer.norm} norm on a rank-${shape.length} value is not built by ` +
        `the onnxruntime back end; the tfjs back end can run it`,
    );
  if (layer.norm === 'instance') return standardize(tape, x, [2, 3]);
  if (layer.norm === 'layer') return standardize(tape, x, [1]);
  const groups = layer.groups ? need(layer.groups, layer, 'num_groups') : 1;
  const [n, , hh, ww] = shape as [number, number, number, number];
  const grouped = reshape(tape, x, [n, groups, channels / groups, hh, ww]);
  return reshape(tape, standardize(tape, grouped, [2, 3, 4]), shape);
}

/** An `other` layer: the identity when it is one at evaluation time, else an error naming it. */
export function passThrough(layer: Extract<Layer, { kind: 'other' }>, x: string): string {
  if (PASS_THROUGH.has(layer.className)) return x;
  throw new UnsupportedModelError(
    `${layer.name}: ${layer.className} is not built by the onnxruntime back end (nor by the tfjs one)`,
  );
}
