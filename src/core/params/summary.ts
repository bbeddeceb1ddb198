import { known, unknown, type Fact } from '../ir/fact';
import type { Layer } from '../ir/layers';
import type { Network } from '../ir/network';
import { NetworkMemo } from '../ir/network-memo';
import { impliedInputSize } from './input-size';
import { layerMacs } from './macs';
import { outputShape, type Shape } from './shapes';

export type Section = 'stem' | 'stage' | 'head';
export type Branch = 'main' | 'shortcut' | 'after';

export interface LayerRow {
  readonly layer: Layer;
  readonly section: Section;
  /** 1-based stage index for rows in a stage. */
  readonly stage?: number;
  readonly block?: number;
  readonly branch?: Branch;
  readonly output?: Shape;
  readonly params: Fact<number>;
  readonly macs: Fact<number>;
}

export interface PartTotal {
  readonly name: string;
  readonly params: Fact<number>;
  readonly macs: Fact<number>;
}

export interface ModelSummary {
  readonly network: Network;
  readonly inputSize: number;
  readonly rows: readonly LayerRow[];
  /** Stem, each stage, head. */
  readonly parts: readonly PartTotal[];
  readonly total: Fact<number>;
  /** Sum of the layers whose count is known: a lower bound when `total` is unknown. */
  readonly knownParams: number;
  /** Weights Keras counts but does not train (BatchNorm moving statistics); 0 for PyTorch-style models. */
  readonly nonTrainable: number;
  readonly macs: Fact<number>;
}

function sumFacts(facts: readonly Fact<number>[]): Fact<number> {
  let sum = 0;
  for (const f of facts) {
    if (!f.known) return unknown(f.reason);
    sum += f.value;
    // Past 2^53 a double is no longer the exact integer PyTorch would print.
    if (!Number.isSafeInteger(sum)) return unknown('the total is past 2^53, beyond what is counted exactly here');
  }
  return known(sum);
}

/**
 * Walks the network once: per-layer output shapes, parameters and MACs at a square input of
 * `inputSize` pixels, per-part and total counts.
 */
const summaries = new NetworkMemo<Map<number, ModelSummary>>('summary');

export function summarize(network: Network, inputSize = impliedInputSize(network)?.size ?? 224): ModelSummary {
  // The IR is immutable: lint, hints and reports of one analysis share one summary.
  const cached = summaries.get(network)?.get(inputSize);
  if (cached) return cached;
  const summary = computeSummary(network, inputSize);
  let bySize = summaries.get(network);
  if (!bySize) {
    bySize = new Map();
    summaries.set(network, bySize);
  }
  bySize.set(inputSize, summary);
  return summary;
}

function computeSummary(network: Network, inputSize: number): ModelSummary {
  const rows: LayerRow[] = [];
  const walk = (
    layers: readonly Layer[],
    input: Shape | undefined,
    place: Omit<LayerRow, 'layer' | 'params' | 'macs' | 'output'>,
  ): Shape | undefined => {
    let shape = input;
    for (const layer of layers) {
      shape = outputShape(layer, shape);
      rows.push({ ...place, layer, output: shape, params: layer.params, macs: layerMacs(layer, shape) });
    }
    return shape;
  };

  let shape: Shape | undefined = { kind: 'map', channels: network.inputChannels, height: inputSize, width: inputSize };
  shape = walk(network.stem.layers, shape, { section: 'stem' });
  for (const stage of network.stages) {
    for (const block of stage.blocks) {
      const place = { section: 'stage' as const, stage: stage.index, block: block.index };
      const blockInput = shape;
      const main = walk(block.layers, blockInput, { ...place, branch: 'main' });
      walk(block.shortcut, blockInput, { ...place, branch: 'shortcut' });
      shape = walk(block.after, main, { ...place, branch: 'after' });
    }
  }
  walk(network.head.layers, shape, { section: 'head' });

  // One pass groups the rows by part: filtering every row once per stage was quadratic in the
  // number of stages (16,000 stages took half a minute).
  const rowsByPart = new Map<string, LayerRow[]>();
  for (const row of rows) {
    const key = row.section === 'stage' ? `stage${String(row.stage)}` : row.section;
    let list = rowsByPart.get(key);
    if (!list) {
      list = [];
      rowsByPart.set(key, list);
    }
    list.push(row);
  }
  const part = (name: string): PartTotal => {
    const selected = rowsByPart.get(name) ?? [];
    return { name, params: sumFacts(selected.map((r) => r.params)), macs: sumFacts(selected.map((r) => r.macs)) };
  };
  const parts: PartTotal[] = [part('stem'), ...network.stages.map((s) => part(`stage${s.index}`)), part('head')];
  return {
    network,
    inputSize,
    rows,
    parts,
    total: sumFacts(rows.map((r) => r.params)),
    knownParams: rows.reduce((sum, r) => sum + (r.params.known ? r.params.value : 0), 0),
    nonTrainable: rows.reduce((sum, r) => sum + (r.layer.nonTrainable ?? 0), 0),
    macs: sumFacts(rows.map((r) => r.macs)),
  };
}
