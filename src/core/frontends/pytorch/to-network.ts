import { known, unknown, type Fact } from '../../ir/fact';
import type { ActivationFunction, ConvLayer, Layer, NormKind } from '../../ir/layers';
import type { Block, BlockFacts, ConvOrder, Network, SqueezeExcitationFact, Stage, StageFacts } from '../../ir/network';
import type { SourceRange } from '../../ir/source';
import { flatten, leavesOf, traceForward, type FlatOp } from './forward-trace';
import type { Interpreter } from './interpreter';
import { squeezeExcitation } from '../../build/layers';
import type { PythonSourceMap } from './python-parser';
import type { ModuleNode } from './values';
import { PyTorchEditor, type EditSites } from './pytorch-editor';

interface Named {
  readonly names: Map<ModuleNode, string>;
  readonly layers: Map<ModuleNode, Layer>;
}

/** PyTorch's named_modules(): dotted paths, each module instance once. */
function nameTree(root: ModuleNode): Named {
  const names = new Map<ModuleNode, string>();
  const layers = new Map<ModuleNode, Layer>();
  const visit = (module: ModuleNode, path: string): void => {
    if (names.has(module)) return;
    names.set(module, path);
    if (module.layer) layers.set(module, { ...module.layer, name: path });
    for (const [key, child] of module.children) visit(child, path ? `${path}.${key}` : key);
  };
  visit(root, '');
  return { names, layers };
}

/** A layer standing for a part that could not be evaluated: its unknown count makes the total unknown. */
function incompleteLayer(module: ModuleNode, name: string): Layer {
  return { kind: 'other', className: module.className, name: name || module.className, source: module.source, params: unknown(module.incomplete ?? 'not evaluated') };
}

function isConv(op: FlatOp): op is FlatOp & { kind: 'layer'; layer: ConvLayer } {
  return op.kind === 'layer' && op.layer.kind === 'conv';
}

function value<T>(fact: Fact<T>): T | undefined {
  return fact.known ? fact.value : undefined;
}

interface BlockAnalysis {
  main: FlatOp[];
  shortcut: FlatOp[];
  after: FlatOp[];
}

/** Splits a traced block forward at its residual addition. */
function analyseResidual(ops: FlatOp[]): BlockAnalysis | undefined {
  const addIndex = ops.map((o) => o.kind).lastIndexOf('add');
  if (addIndex < 0) return undefined;
  const add = ops[addIndex];
  if (add?.kind !== 'add') return undefined;
  const convCount = (branch: FlatOp[]): number => branch.filter(isConv).length + branch.filter((o) => o.kind === 'add').length * 0;
  const branches = [...add.branches].sort((a, b) => convCount(b) - convCount(a));
  const main = branches[0] ?? [];
  const shortcut = branches.slice(1).flat();
  if (main.filter(isConv).length < 2) return undefined;
  return { main, shortcut, after: ops.slice(addIndex + 1) };
}

interface Sites {
  activations: Map<number, SourceRange[]>;
  norms: Map<number, SourceRange[]>;
  dilations: SourceRange[];
}

function blockFacts(analysis: BlockAnalysis | undefined, problem: string, sites: Sites): { facts: BlockFacts; factSources: Record<string, SourceRange | undefined> } {
  const u = <T>(): Fact<T> => unknown(problem);
  if (!analysis) {
    return {
      facts: {
        kind: u(), inChannels: u(), outChannels: u(), stride: u(), bottleneckMultiplier: u(), innerWidth: u(), groups: u(), kernel: u(),
        dilation: u(), convOrder: u(), norms: u(), activations: u(), se: u(), shortcut: u(), shortcutNorm: u(),
      },
      factSources: {},
    };
  }
  const { main, shortcut, after } = analysis;
  const convs = main.filter(isConv);
  const firstConvIndex = main.findIndex(isConv);
  const preNorm = main.slice(0, firstConvIndex).some((o) => o.kind === 'layer' && o.layer.kind === 'norm');
  const order: ConvOrder = preNorm ? 'norm-act-conv' : 'conv-norm-act';
  const convIndices = main.map((o, i) => (isConv(o) ? i : -1)).filter((i) => i >= 0);
  const norms: (NormKind | null)[] = [];
  const activations: (ActivationFunction | null)[] = [];
  const factSources: Record<string, SourceRange | undefined> = {};
  convIndices.forEach((at, position) => {
    const segment = order === 'conv-norm-act'
      ? main.slice(at + 1, convIndices[position + 1] ?? main.length)
      : main.slice(position === 0 ? 0 : (convIndices[position - 1] ?? 0) + 1, at);
    const normOp = segment.find((o) => o.kind === 'layer' && o.layer.kind === 'norm');
    const isLast = position === convIndices.length - 1;
    let actOp = segment.find((o) => o.kind === 'activation' && o.fn !== 'sigmoid');
    if (order === 'conv-norm-act' && isLast) actOp = after.find((o) => o.kind === 'activation');
    norms.push(normOp?.kind === 'layer' && normOp.layer.kind === 'norm' ? normOp.layer.norm : null);
    activations.push(actOp?.kind === 'activation' ? actOp.fn : null);
    factSources[`norms.${position}`] = normOp?.source ?? convs[position]?.source;
    factSources[`activations.${position}`] = actOp?.source ?? convs[position]?.source;
    if (normOp?.source) sites.norms.set(position, [...(sites.norms.get(position) ?? []), normOp.source]);
    if (actOp?.source) sites.activations.set(position, [...(sites.activations.get(position) ?? []), actOp.source]);
  });
  const seIndex = main.findIndex((o) => o.kind === 'se');
  const seOp = main[seIndex];
  let se: Fact<SqueezeExcitationFact | null> = known(null);
  if (seOp?.kind === 'se') {
    const afterConv = main.slice(0, seIndex).filter(isConv).length - 1;
    se = seOp.squeeze === undefined
      ? unknown('the squeeze width of the SE module is not statically known')
      : known({
        afterConv,
        squeezeChannels: seOp.squeeze,
        // Code states the squeeze width; as a ratio it is relative to the block's input width.
        ratio: convs[0]?.layer.inChannels.known ? known(seOp.squeeze / convs[0].layer.inChannels.value) : unknown('the block input width is not statically known'),
        activation: seOp.activation,
      });
    factSources['se.activation'] = seOp.source;
  }
  const shortcutConvs = shortcut.filter(isConv);
  const shortcutNorm = shortcut.find((o) => o.kind === 'layer' && o.layer.kind === 'norm');
  const first = convs[0]?.layer;
  const last = convs[convs.length - 1]?.layer;
  const spatial = [...convs].sort((a, b) => (value(b.layer.kernel)?.[0] ?? 0) - (value(a.layer.kernel)?.[0] ?? 0))[0]?.layer;
  const strides = convs.map((c) => value(c.layer.stride)?.[0]);
  const outChannels = last ? last.outChannels : unknown<number>(problem);
  const innerWidth = convs.length === 3 && first ? first.outChannels : unknown<number>('only bottleneck blocks (three convs) have an inner width');
  const inner = value(innerWidth);
  const out = value(outChannels);
  for (const c of convs) if (c.source && (value(c.layer.dilation)?.[0] ?? 1) > 1) sites.dilations.push(c.source);
  return {
    facts: {
      kind: convs.length === 3 ? known('bottleneck') : convs.length === 2 ? known('basic') : unknown(`a block with ${convs.length} convs`),
      inChannels: first ? first.inChannels : unknown(problem),
      outChannels,
      stride: strides.every((s) => s !== undefined) ? known(Math.max(...(strides as number[]))) : unknown('a conv stride is not statically known'),
      bottleneckMultiplier: inner !== undefined && out !== undefined ? known(inner / out) : unknown('only bottleneck blocks have a bottleneck multiplier'),
      innerWidth,
      groups: spatial ? spatial.groups : unknown(problem),
      kernel: spatial && spatial.kernel.known ? known(spatial.kernel.value[0]) : unknown(problem),
      dilation: spatial && spatial.dilation.known ? known(spatial.dilation.value[0]) : unknown(problem),
      convOrder: known(order),
      norms: known(norms),
      activations: known(activations),
      se,
      shortcut: known(shortcutConvs.length > 0 ? 'projection' : 'identity'),
      shortcutNorm: shortcutConvs.length > 0 ? known(shortcutNorm?.kind === 'layer' && shortcutNorm.layer.kind === 'norm' ? shortcutNorm.layer.norm : null) : unknown('the block has an identity shortcut'),
    },
    factSources: { ...factSources, shortcutNorm: shortcutNorm?.source, dilation: spatial ? convs.find((c) => c.layer === spatial)?.source : undefined },
  };
}

/**
 * An SE module as one IR layer, whatever its inner layers (torchvision's, or a gate written by
 * hand): the block's shape walk passes through it, and its count is the exact sum of its layers.
 */
function squeezeExcitationLayer(op: FlatOp & { kind: 'se' }, inner: Layer[], names: Map<ModuleNode, string>): Layer {
  const params = inner.reduce<Fact<number>>((sum, l) => (sum.known && l.params.known ? known(sum.value + l.params.value) : (sum.known ? l.params : sum)), known(0));
  const name = op.module ? names.get(op.module) ?? '' : commonPrefix(inner.map((l) => l.name));
  const layer = squeezeExcitation({
    name,
    channels: op.channels ?? unknown('the SE width is not statically known'),
    squeezeChannels: op.squeeze ?? unknown('the squeeze width is not statically known'),
    activation: op.activation,
    source: op.source,
  });
  return { ...layer, params };
}

function commonPrefix(names: string[]): string {
  const parts = names.map((n) => n.split('.'));
  const first = parts[0] ?? [];
  let length = 0;
  while (length < first.length && parts.every((p) => p[length] === first[length])) length++;
  return first.slice(0, length).join('.');
}

export interface BuildInput {
  readonly root: ModuleNode;
  readonly name: string;
  readonly file: string;
  readonly text: string;
  readonly interpreter: Interpreter;
  readonly map: PythonSourceMap;
  /** Where the model is created (the factory's call or the class), for network-level findings. */
  readonly source?: SourceRange;
}

/** Turns an evaluated module tree into the IR: stem, stages of residual blocks, head. */
export function moduleTreeToNetwork(input: BuildInput): Network {
  const { root, interpreter, map } = input;
  const { names, layers } = nameTree(root);
  const assigned = new Set<ModuleNode>();
  const layerOf = (module: ModuleNode): Layer | undefined => {
    if (assigned.has(module)) return undefined;
    assigned.add(module);
    return layers.get(module);
  };
  const sites: Sites = { activations: new Map(), norms: new Map(), dilations: [] };
  // A residual block adds its branches in its own forward; a container of blocks does not.
  const isBlock = (module: ModuleNode): boolean => {
    if (module.layer) return false;
    const ops = traceForward(module, interpreter);
    return ops !== undefined && ops.some((op) => op.kind === 'add') && analyseResidual(flatten(ops, interpreter)) !== undefined;
  };
  const isStage = (module: ModuleNode): boolean => !module.layer && module.children.size > 0 && [...module.children.values()].every(isBlock);

  // Walk the tree in registration order: leaves outside stages, and stages of blocks.
  type Item = { kind: 'leaf'; module: ModuleNode } | { kind: 'stage'; module: ModuleNode };
  const items: Item[] = [];
  const walk = (module: ModuleNode): void => {
    for (const child of module.children.values()) {
      if (child.layer) items.push({ kind: 'leaf', module: child });
      else if (isStage(child)) items.push({ kind: 'stage', module: child });
      else if (child.incomplete) items.push({ kind: 'leaf', module: child });
      else walk(child);
    }
  };
  if (root.incomplete) assigned.add(root);
  walk(root);

  const firstStage = items.findIndex((i) => i.kind === 'stage');
  const lastStage = items.map((i) => i.kind).lastIndexOf('stage');
  const leafLayers = (list: Item[]): Layer[] => list.flatMap((i) => {
    if (i.kind !== 'leaf') return [];
    if (i.module.incomplete && !i.module.layer) return [incompleteLayer(i.module, names.get(i.module) ?? '')];
    const layer = layerOf(i.module);
    return layer ? [layer] : [];
  });
  const stemItems = firstStage < 0 ? items : items.slice(0, firstStage);
  const headItems = firstStage < 0 ? [] : items.slice(lastStage + 1);
  const stages: Stage[] = [];
  items.forEach((item, index) => {
    if (item.kind !== 'stage') return;
    const stageModule = item.module;
    const blocks: Block[] = [];
    [...stageModule.children.values()].forEach((blockModule, blockIndex) => {
      const ops = flatten(traceForward(blockModule, interpreter) ?? [], interpreter);
      const analysis = analyseResidual(ops);
      const { facts, factSources } = blockFacts(analysis, 'the block\'s forward could not be followed', sites);
      const pick = (flat: FlatOp[]): Layer[] => flat.flatMap((o) => {
        if (o.kind === 'layer') return [layerOf(o.module)].filter((l): l is Layer => l !== undefined);
        if (o.kind === 'se') return [squeezeExcitationLayer(o, o.leaves.flatMap((l) => (l.kind === 'layer' ? [layerOf(l.module)].filter((x): x is Layer => x !== undefined) : [])), names)];
        if (o.kind === 'add') return o.branches.flatMap(pick);
        return [];
      });
      const main = analysis ? pick(analysis.main) : [];
      const shortcut = analysis ? pick(analysis.shortcut) : [];
      const after = analysis ? pick(analysis.after) : [];
      // Registered but not seen in forward: still parameters (PyTorch counts them).
      const rest = leavesOf(blockModule).map(layerOf).filter((l): l is Layer => l !== undefined);
      const classSource = blockModule.userClass ? map.range(blockModule.userClass.node.childForFieldName('name') ?? blockModule.userClass.node) : blockModule.source;
      blocks.push({
        name: names.get(blockModule) ?? '',
        index: blockIndex,
        layers: [...main, ...rest],
        shortcut,
        after,
        facts,
        source: classSource,
        factSources: { ...factSources, se: classSource, denseRatio: stageModule.source },
      });
    });
    // Leaves between two stages belong to the earlier one.
    const between = index < lastStage ? items.slice(index + 1).filter((_, i, rest) => i < rest.findIndex((r) => r.kind === 'stage')) : [];
    const extra = leafLayers(between);
    const lastBlock = blocks[blocks.length - 1];
    if (extra.length > 0 && lastBlock) blocks[blocks.length - 1] = { ...lastBlock, after: [...lastBlock.after, ...extra] };
    stages.push(buildStage(stageModule, names.get(stageModule) ?? '', stages.length + 1, blocks, interpreter));
  });

  const stem = leafLayers(stemItems);
  const head = leafLayers(headItems);
  const leftover = [...layers.keys()].map(layerOf).filter((l): l is Layer => l !== undefined);
  if (root.incomplete) stem.unshift(incompleteLayer(root, input.name));
  const stemConvs = stem.filter((l): l is ConvLayer => l.kind === 'conv');
  const stemConv = stemConvs[0];
  const lastStemConv = stemConvs[stemConvs.length - 1];
  const maxPool = stem.find((l) => l.kind === 'pool' && l.pool === 'max' && !l.outputSize);
  const stemNorm = stem.find((l) => l.kind === 'norm');
  const rootOps = flatten(traceForward(root, interpreter) ?? [], interpreter);
  const stemActivation = stem.find((l) => l.kind === 'activation') ?? undefined;
  const firstRootActivation = rootOps.find((o) => o.kind === 'activation');
  const linear = [...head].reverse().find((l) => l.kind === 'linear');
  const stageFacts = <T>(pick: (s: Stage) => Fact<T>): Fact<readonly T[]> => {
    const values: T[] = [];
    for (const s of stages) {
      const f = pick(s);
      if (!f.known) return unknown(f.reason);
      values.push(f.value);
    }
    return known(values);
  };
  const kernel = stemConv ? value(stemConv.kernel)?.[0] : undefined;
  const stride = stemConv ? value(stemConv.stride)?.[0] : undefined;
  const edits: EditSites = { activations: sites.activations, norms: sites.norms, dilations: sites.dilations };
  return {
    name: input.name,
    file: input.file,
    format: 'pytorch',
    inputChannels: stemConv && stemConv.inChannels.known ? stemConv.inChannels.value : 3,
    stem: {
      layers: [...stem, ...leftover],
      source: stemConv?.source,
      factSources: { width: lastStemConv?.source, kernel: stemConv?.source, maxPool: maxPool?.source ?? stemConv?.source, norm: stemNorm?.source },
      facts: {
        width: lastStemConv ? lastStemConv.outChannels : unknown('the stem has no conv'),
        kernel: kernel !== undefined ? known(kernel) : unknown('the stem conv kernel is not statically known'),
        stride: stride !== undefined ? known(stride) : unknown('the stem conv stride is not statically known'),
        maxPool: known(maxPool !== undefined),
        patchify: kernel !== undefined && stride !== undefined ? known(kernel === stride && kernel > 1 && !maxPool) : unknown('the stem conv is not statically known'),
        norm: known(stemNorm?.kind === 'norm' ? stemNorm.norm : null),
        activation: stemActivation?.kind === 'activation' ? known(stemActivation.fn) : firstRootActivation?.kind === 'activation' ? known(firstRootActivation.fn) : known(null),
      },
    },
    stages,
    head: {
      layers: head,
      numClasses: linear?.kind === 'linear' ? linear.outFeatures : unknown('no linear head'),
      source: linear?.source,
    },
    facts: {
      stageCount: stages.length > 0 ? known(stages.length) : unknown('no stages of residual blocks were recognised'),
      depths: stages.length > 0 ? stageFacts((s) => s.facts.depth) : unknown('no stages'),
      widths: stages.length > 0 ? stageFacts((s) => s.facts.width) : unknown('no stages'),
      groups: stages.length > 0 ? stageFacts((s) => s.facts.groups) : unknown('no stages'),
      bottleneckMultipliers: stages.length > 0 ? stageFacts((s) => s.facts.bottleneckMultiplier) : unknown('no stages'),
      strides: stages.length > 0 ? stageFacts((s) => s.facts.stride) : unknown('no stages'),
    },
    source: input.source,
    factSources: { stages: input.source },
    editor: new PyTorchEditor(input.text, edits),
    notes: [],
  };
}

function buildStage(module: ModuleNode, name: string, index: number, blocks: Block[], interpreter: Interpreter): Stage {
  const first = blocks[0]?.facts;
  const agree = <T>(pick: (f: BlockFacts) => Fact<T>): Fact<T> => {
    const facts = blocks.map((b) => pick(b.facts));
    const f0 = facts[0];
    if (!f0) return unknown('an empty stage');
    if (!f0.known) return f0;
    return facts.every((f) => f.known && f.value === f0.value) ? f0 : unknown('the blocks of this stage differ');
  };
  const stageOps = module.userClass ? traceForward(module, interpreter) : undefined;
  const dense = stageOps ? flatten(stageOps, interpreter).some((o) => o.kind === 'cat') : false;
  const facts: StageFacts = {
    depth: known(blocks.length),
    width: first ? first.outChannels : unknown('an empty stage'),
    stride: first ? first.stride : unknown('an empty stage'),
    groups: agree((f) => f.groups),
    bottleneckMultiplier: agree((f) => f.bottleneckMultiplier),
    kernel: agree((f) => f.kernel),
    dilation: agree((f) => f.dilation),
    denseRatio: module.userClass && !stageOps ? unknown('the stage\'s forward could not be followed') : known(dense ? 1 : 0),
  };
  const source = module.source;
  return {
    name,
    index,
    blocks,
    facts,
    source,
    factSources: {
      depth: source, width: source, stride: source, bottleneck: blocks[0]?.source, groups: blocks[0]?.source,
      kernel: blocks[0]?.factSources?.dilation ?? blocks[0]?.source, dilation: blocks[0]?.factSources?.dilation ?? blocks[0]?.source,
    },
  };
}
