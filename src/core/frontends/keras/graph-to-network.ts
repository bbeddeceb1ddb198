import { known, unknown, type Fact } from '../../ir/fact';
import { squeezeExcitation } from '../../build/layers';
import type { ActivationFunction, Layer } from '../../ir/layers';
import type { Block, Network, SourceFormat, Stage } from '../../ir/network';
import { assembleNetwork, stageFromBlocks } from '../assemble-network';
import { analyseResidual, blockFacts, type BlockOp, type Sites } from '../residual-blocks';
import { buildKerasLayer, type BuiltKerasLayer } from './keras-layers';
import type { KerasGraph, KerasLayerNode } from './keras-graph';

interface Built {
  readonly node: KerasLayerNode;
  readonly index: number;
  readonly built: BuiltKerasLayer;
}

/**
 * A Keras layer graph as the IR. Residual blocks are the subgraphs between a tensor that fans
 * out and the Add that joins its branches; a block with a conv on its shortcut starts a stage.
 */
export function kerasGraphToNetwork(graph: KerasGraph, file: string, format: SourceFormat): Network {
  const byName = new Map<string, Built>();
  const consumers = new Map<string, string[]>();
  const inputChannels = graph.inputShape?.[graph.inputShape.length - 1];
  graph.layers.forEach((node, index) => {
    for (const from of node.inbound) consumers.set(from, [...(consumers.get(from) ?? []), node.name]);
    const inputs = node.inbound.map((name) => byName.get(name)?.built.outChannels);
    const channels =
      node.className === 'Concatenate'
        ? inputs.every((c) => c !== undefined)
          ? (inputs as number[]).reduce((a, b) => a + b, 0)
          : undefined
        : node.inbound.length === 0
          ? typeof inputChannels === 'number'
            ? inputChannels
            : undefined
          : inputs[0];
    byName.set(node.name, { node, index, built: buildKerasLayer(node, channels) });
  });
  const ancestors = new Map<string, Set<string>>();
  const ancestorsOf = (name: string): Set<string> => {
    const cached = ancestors.get(name);
    if (cached) return cached;
    const set = new Set<string>();
    ancestors.set(name, set);
    for (const from of byName.get(name)?.node.inbound ?? []) {
      set.add(from);
      for (const a of ancestorsOf(from)) set.add(a);
    }
    return set;
  };

  const toOps = (names: string[]): BlockOp[] =>
    names.flatMap((name) => {
      const entry = byName.get(name);
      if (!entry) return [];
      const ops: BlockOp[] = [];
      for (const layer of entry.built.layers) {
        if (layer.kind === 'activation') ops.push({ kind: 'activation', fn: layer.fn, source: layer.source });
        ops.push({ kind: 'layer', layer, source: layer.source });
      }
      return ops;
    });

  // Squeeze-and-excitation: x * gate(x), the gate pooling globally and holding two weight layers.
  const seGates = new Map<string, { squeeze?: number; activation: ActivationFunction | null; members: Set<string> }>();
  for (const { node } of byName.values()) {
    if (node.className !== 'Multiply' || node.inbound.length !== 2) continue;
    const [a = '', b = ''] = node.inbound;
    const [main, gate] = ancestorsOf(a).has(b) ? [b, a] : [a, b];
    const members = new Set([gate, ...[...ancestorsOf(gate)].filter((n) => !ancestorsOf(main).has(n) && n !== main)]);
    const weights = [...members]
      .map((n) => byName.get(n))
      .filter((e) => e && (e.node.className === 'Conv2D' || e.node.className === 'Dense'))
      .sort((x, y) => (x?.index ?? 0) - (y?.index ?? 0));
    if (
      weights.length < 2 ||
      ![...members].some((n) => /GlobalAveragePooling/.test(byName.get(n)?.node.className ?? ''))
    )
      continue;
    const activation =
      weights[0]?.built.activation ??
      [...members].map((n) => byName.get(n)?.built.activation).find((f) => f && f !== 'sigmoid') ??
      null;
    seGates.set(node.name, { squeeze: weights[0]?.built.outChannels, activation, members });
  }

  // Residual blocks, in graph order.
  const adds = graph.layers.filter((n) => n.className === 'Add' && n.inbound.length === 2);
  const assigned = new Set<string>();
  const blocks: { block: Omit<Block, 'index' | 'name'>; projection: boolean; add: string; input: string }[] = [];
  const sites: Sites = { activations: new Map(), norms: new Map(), dilations: [] };
  for (const add of adds) {
    const [a = '', b = ''] = add.inbound;
    const common = [...ancestorsOf(a), a].filter((n) => ancestorsOf(b).has(n) || n === b);
    const input = common.sort((x, y) => (byName.get(y)?.index ?? 0) - (byName.get(x)?.index ?? 0))[0];
    if (!input) continue;
    const branch = (end: string): string[] => {
      if (end === input) return [];
      const names = [...ancestorsOf(end), end].filter((n) => n !== input && ancestorsOf(n).has(input));
      return names.sort((x, y) => (byName.get(x)?.index ?? 0) - (byName.get(y)?.index ?? 0));
    };
    const branchOps = (names: string[]): BlockOp[] => {
      const ops: BlockOp[] = [];
      for (const name of names) {
        if ([...seGates.values()].some((g) => g.members.has(name))) continue;
        const gate = seGates.get(name);
        if (gate)
          ops.push({
            kind: 'se',
            squeeze: gate.squeeze,
            activation: gate.activation,
            source: byName.get(name)?.node.source,
          });
        else ops.push(...toOps([name]));
      }
      return ops;
    };
    const [mainNames, shortcutNames] = [branch(a), branch(b)].sort(
      (x, y) => countConvs(y, byName) - countConvs(x, byName),
    );
    // After the addition: elementwise layers up to the next fan-out or the head.
    const afterNames: string[] = [];
    let cursor = add.name;
    for (;;) {
      const next = consumers.get(cursor) ?? [];
      if (next.length !== 1) break;
      const candidate = byName.get(next[0] ?? '');
      if (
        !candidate ||
        !['Activation', 'ReLU', 'LeakyReLU', 'ELU', 'PReLU', 'Dropout'].includes(candidate.node.className)
      )
        break;
      afterNames.push(candidate.node.name);
      cursor = candidate.node.name;
    }
    const ops: BlockOp[] = [
      { kind: 'add', branches: [branchOps(mainNames ?? []), branchOps(shortcutNames ?? [])], source: add.source },
      ...toOps(afterNames),
    ];
    const analysis = analyseResidual(ops);
    if (!analysis) continue;
    const { facts, factSources } = blockFacts(analysis, 'the block could not be analysed', sites);
    const layersOf = (names: string[]): Layer[] =>
      names.flatMap((n) => {
        if (assigned.has(n)) return [];
        assigned.add(n);
        const gate = seGates.get(n);
        if (gate) return [seLayer(n, gate)];
        return byName.get(n)?.built.layers ?? [];
      });
    // An SE gate becomes one IR layer (the block's shape walk passes through it) counting all its layers.
    const seLayer = (
      multiply: string,
      gate: { squeeze?: number; activation: ActivationFunction | null; members: Set<string> },
    ): Layer => {
      const inner = [...gate.members].flatMap((m) => {
        assigned.add(m);
        return byName.get(m)?.built.layers ?? [];
      });
      const learned = inner.reduce<Fact<number>>(
        (sum, l) => (sum.known && l.params.known ? known(sum.value + l.params.value) : sum.known ? l.params : sum),
        known(0),
      );
      const channels = byName.get(multiply)?.built.outChannels;
      return {
        ...squeezeExcitation({
          name: multiply,
          source: byName.get(multiply)?.node.source,
          activation: gate.activation,
          channels: channels ?? unknown('the SE width is not known'),
          squeezeChannels: gate.squeeze ?? unknown('the squeeze width is not known'),
        }),
        params: learned,
      };
    };
    const main = layersOf((mainNames ?? []).filter((n) => ![...seGates.values()].some((g) => g.members.has(n))));
    const shortcut = layersOf(shortcutNames ?? []);
    assigned.add(add.name);
    const after = layersOf(afterNames);
    blocks.push({
      block: {
        layers: main,
        shortcut,
        after,
        facts,
        source: add.source,
        factSources: { ...factSources, se: add.source, denseRatio: add.source },
      },
      projection: facts.shortcut.known && facts.shortcut.value === 'projection',
      add: add.name,
      input,
    });
  }

  // Stages: a block with a projection shortcut starts one.
  const stages: Stage[] = [];
  let current: Block[] = [];
  const flush = (): void => {
    if (current.length === 0) return;
    const index = stages.length + 1;
    stages.push(stageFromBlocks(`stage${index}`, index, current, current[0]?.source, known(0)));
    current = [];
  };
  blocks.forEach(({ block, projection }, i) => {
    if (projection && current.length > 0) flush();
    current.push({ ...block, index: current.length, name: `stage${stages.length + 1}.block${current.length}` });
    if (i === blocks.length - 1) flush();
  });

  const firstInput = blocks[0]?.input;
  const firstIndex = firstInput ? (byName.get(firstInput)?.index ?? -1) : graph.layers.length - 1;
  const lastAdd = blocks[blocks.length - 1];
  const lastIndex = lastAdd
    ? Math.max(...[lastAdd.add, ...assigned].map((n) => byName.get(n)?.index ?? 0))
    : graph.layers.length - 1;
  const stem: Layer[] = [];
  const head: Layer[] = [];
  for (const { node, index, built } of byName.values()) {
    if (assigned.has(node.name)) continue;
    if (index <= firstIndex || blocks.length === 0) stem.push(...built.layers);
    else if (index > lastIndex) head.push(...built.layers);
    else stem.push(...built.layers);
  }
  const size = graph.inputShape?.[0];
  return assembleNetwork({
    name: graph.name,
    file,
    format,
    stem,
    stages,
    head,
    source: graph.source,
    ...(typeof size === 'number' && size === graph.inputShape?.[1] ? { inputSize: size } : {}),
  });
}

function countConvs(names: string[], byName: Map<string, Built>): number {
  return names.filter((n) => byName.get(n)?.node.className === 'Conv2D').length;
}
