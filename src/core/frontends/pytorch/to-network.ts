import { known, unknown, type Fact } from '../../ir/fact';
import type { Layer } from '../../ir/layers';
import type { Block, Network, Stage } from '../../ir/network';
import type { SourceRange } from '../../ir/source';
import { flatten, leavesOf, traceForward, type FlatOp } from './forward-trace';
import { analyseResidual, blockFacts, type Sites } from '../residual-blocks';
import { assembleNetwork, stageFromBlocks } from '../assemble-network';
import type { Interpreter } from './interpreter';
import { squeezeExcitation } from '../../build/layers';
import type { PythonSourceMap } from './python-parser';
import type { ModuleNode } from './values';
import { PyTorchEditor } from './pytorch-editor';

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
  return {
    kind: 'other',
    className: module.className,
    name: name || module.className,
    source: module.source,
    params: unknown(module.incomplete ?? 'not evaluated'),
  };
}

/**
 * An SE module as one IR layer, whatever its inner layers (torchvision's, or a gate written by
 * hand): the block's shape walk passes through it, and its count is the exact sum of its layers.
 */
function squeezeExcitationLayer(op: FlatOp & { kind: 'se' }, inner: Layer[], names: Map<ModuleNode, string>): Layer {
  const params = inner.reduce<Fact<number>>(
    (sum, l) => (sum.known && l.params.known ? known(sum.value + l.params.value) : sum.known ? l.params : sum),
    known(0),
  );
  const name = op.module ? (names.get(op.module) ?? '') : commonPrefix(inner.map((l) => l.name));
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
  // Stage detection and block analysis both need a block's flattened forward: computed once.
  const flattened = new Map<ModuleNode, FlatOp[]>();
  const flatOps = (module: ModuleNode): FlatOp[] => {
    let ops = flattened.get(module);
    if (!ops) {
      ops = flatten(traceForward(module, interpreter) ?? [], interpreter);
      flattened.set(module, ops);
    }
    return ops;
  };
  // A residual block adds its branches in its own forward; a container of blocks does not.
  const isBlock = (module: ModuleNode): boolean => {
    if (module.layer) return false;
    const ops = traceForward(module, interpreter);
    return ops !== undefined && ops.some((op) => op.kind === 'add') && analyseResidual(flatOps(module)) !== undefined;
  };
  const isStage = (module: ModuleNode): boolean =>
    !module.layer && module.children.size > 0 && [...module.children.values()].every(isBlock);

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
  const leafLayers = (list: Item[]): Layer[] =>
    list.flatMap((i) => {
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
      const ops = flatOps(blockModule);
      const analysis = analyseResidual(ops);
      const { facts, factSources } = blockFacts(analysis, "the block's forward could not be followed", sites);
      const pick = (flat: FlatOp[]): Layer[] =>
        flat.flatMap((o) => {
          if (o.kind === 'layer') return [layerOf(o.module)].filter((l): l is Layer => l !== undefined);
          if (o.kind === 'se')
            return [
              squeezeExcitationLayer(
                o,
                o.leaves.flatMap((l) =>
                  l.kind === 'layer' ? [layerOf(l.module)].filter((x): x is Layer => x !== undefined) : [],
                ),
                names,
              ),
            ];
          if (o.kind === 'add') return o.branches.flatMap(pick);
          return [];
        });
      const main = analysis ? pick(analysis.main) : [];
      const shortcut = analysis ? pick(analysis.shortcut) : [];
      const after = analysis ? pick(analysis.after) : [];
      // Registered but not seen in forward: still parameters (PyTorch counts them).
      const rest = leavesOf(blockModule)
        .map(layerOf)
        .filter((l): l is Layer => l !== undefined);
      const classSource =
        blockModule.userClass && interpreter.isLocal(blockModule.userClass.node)
          ? map.range(blockModule.userClass.node.childForFieldName('name') ?? blockModule.userClass.node)
          : blockModule.source;
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
    const between =
      index < lastStage
        ? items.slice(index + 1).filter((_, i, rest) => i < rest.findIndex((r) => r.kind === 'stage'))
        : [];
    const extra = leafLayers(between);
    const lastBlock = blocks[blocks.length - 1];
    if (extra.length > 0 && lastBlock)
      blocks[blocks.length - 1] = { ...lastBlock, after: [...lastBlock.after, ...extra] };
    stages.push(buildStage(stageModule, names.get(stageModule) ?? '', stages.length + 1, blocks, interpreter));
  });

  const stem = leafLayers(stemItems);
  const head = leafLayers(headItems);
  const leftover = [...layers.keys()].map(layerOf).filter((l): l is Layer => l !== undefined);
  if (root.incomplete) stem.unshift(incompleteLayer(root, input.name));
  const rootOps = flatten(traceForward(root, interpreter) ?? [], interpreter);
  const firstRootActivation = rootOps.find((o) => o.kind === 'activation');
  return assembleNetwork({
    name: input.name,
    file: input.file,
    format: 'pytorch',
    stem: [...stem, ...leftover],
    stages,
    head,
    source: input.source,
    editor: new PyTorchEditor(input.text, {
      activations: sites.activations,
      norms: sites.norms,
      dilations: sites.dilations,
    }),
    // An activation applied functionally in forward() (F.relu after the stem) has no layer.
    stemActivation: firstRootActivation?.kind === 'activation' ? firstRootActivation.fn : undefined,
  });
}

function buildStage(module: ModuleNode, name: string, index: number, blocks: Block[], interpreter: Interpreter): Stage {
  const stageOps = module.userClass ? traceForward(module, interpreter) : undefined;
  const dense = stageOps ? flatten(stageOps, interpreter).some((o) => o.kind === 'cat') : false;
  const denseRatio =
    module.userClass && !stageOps ? unknown<number>("the stage's forward could not be followed") : known(dense ? 1 : 0);
  return stageFromBlocks(name, index, blocks, module.source, denseRatio);
}
