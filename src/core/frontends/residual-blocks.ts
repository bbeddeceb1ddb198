import { known, unknown, type Fact } from '../ir/fact';
import type { ActivationFunction, ConvLayer, Layer, NormKind } from '../ir/layers';
import type { BlockFacts, ConvOrder, SqueezeExcitationFact } from '../ir/network';
import type { SourceRange } from '../ir/source';

/**
 * Residual-block analysis shared by the front ends that see code or graphs (PyTorch, Keras):
 * from the operations of a block's forward pass, the IR's block facts.
 */

/** One operation of a block's forward pass, down to leaf layers. */
export type BlockOp =
  | { kind: 'layer'; layer: Layer; source?: SourceRange }
  | { kind: 'activation'; fn: ActivationFunction; source?: SourceRange }
  | { kind: 'se'; channels?: number; squeeze?: number; activation: ActivationFunction | null; source?: SourceRange }
  | { kind: 'add'; branches: BlockOp[][]; source?: SourceRange }
  | { kind: 'cat' | 'pool' | 'flatten'; source?: SourceRange };

export function isConv(op: BlockOp): op is BlockOp & { kind: 'layer'; layer: ConvLayer } {
  return op.kind === 'layer' && op.layer.kind === 'conv';
}

export function value<T>(fact: Fact<T>): T | undefined {
  return fact.known ? fact.value : undefined;
}

export interface BlockAnalysis<T extends BlockOp = BlockOp> {
  main: T[];
  shortcut: T[];
  after: T[];
}

/** Splits a traced block forward at its residual addition; the branch with the convs is the main one. */
export function analyseResidual<T extends BlockOp>(ops: T[]): BlockAnalysis<T> | undefined {
  const addIndex = ops.map((o) => o.kind).lastIndexOf('add');
  const add = ops[addIndex] as (T & { kind: 'add'; branches: T[][] }) | undefined;
  if (!add) return undefined;
  const convCount = (branch: T[]): number => branch.filter(isConv).length;
  const branches = [...add.branches].sort((a, b) => convCount(b) - convCount(a));
  const main = branches[0] ?? [];
  if (main.filter(isConv).length < 2) return undefined;
  return { main, shortcut: branches.slice(1).flat(), after: ops.slice(addIndex + 1) };
}

export interface Sites {
  activations: Map<number, SourceRange[]>;
  norms: Map<number, SourceRange[]>;
  dilations: SourceRange[];
}

export function blockFacts(
  analysis: BlockAnalysis<BlockOp> | undefined,
  problem: string,
  sites: Sites,
): { facts: BlockFacts; factSources: Record<string, SourceRange | undefined> } {
  const u = <T>(): Fact<T> => unknown(problem);
  if (!analysis) {
    return {
      facts: {
        kind: u(),
        inChannels: u(),
        outChannels: u(),
        stride: u(),
        bottleneckMultiplier: u(),
        innerWidth: u(),
        groups: u(),
        kernel: u(),
        dilation: u(),
        convOrder: u(),
        norms: u(),
        activations: u(),
        se: u(),
        shortcut: u(),
        shortcutNorm: u(),
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
    const segment =
      order === 'conv-norm-act'
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
    se =
      seOp.squeeze === undefined
        ? unknown('the squeeze width of the SE module is not statically known')
        : known({
            afterConv,
            squeezeChannels: seOp.squeeze,
            // Code states the squeeze width; as a ratio it is relative to the block's input width.
            ratio: convs[0]?.layer.inChannels.known
              ? known(seOp.squeeze / convs[0].layer.inChannels.value)
              : unknown('the block input width is not statically known'),
            activation: seOp.activation,
          });
    factSources['se.activation'] = seOp.source;
  }
  const shortcutConvs = shortcut.filter(isConv);
  const shortcutNorm = shortcut.find((o) => o.kind === 'layer' && o.layer.kind === 'norm');
  const first = convs[0]?.layer;
  const last = convs[convs.length - 1]?.layer;
  const spatial = [...convs].sort((a, b) => (value(b.layer.kernel)?.[0] ?? 0) - (value(a.layer.kernel)?.[0] ?? 0))[0]
    ?.layer;
  const strides = convs.map((c) => value(c.layer.stride)?.[0]);
  const outChannels = last ? last.outChannels : unknown<number>(problem);
  const innerWidth =
    convs.length === 3 && first
      ? first.outChannels
      : unknown<number>('only bottleneck blocks (three convs) have an inner width');
  const inner = value(innerWidth);
  const out = value(outChannels);
  for (const c of convs) if (c.source && (value(c.layer.dilation)?.[0] ?? 1) > 1) sites.dilations.push(c.source);
  return {
    facts: {
      kind:
        convs.length === 3
          ? known('bottleneck')
          : convs.length === 2
            ? known('basic')
            : unknown(`a block with ${convs.length} convs`),
      inChannels: first ? first.inChannels : unknown(problem),
      outChannels,
      stride: strides.every((s) => s !== undefined)
        ? known(Math.max(...(strides as number[])))
        : unknown('a conv stride is not statically known'),
      bottleneckMultiplier:
        inner !== undefined && out !== undefined
          ? known(inner / out)
          : unknown('only bottleneck blocks have a bottleneck multiplier'),
      innerWidth,
      groups: spatial ? spatial.groups : unknown(problem),
      kernel: spatial && spatial.kernel.known ? known(spatial.kernel.value[0]) : unknown(problem),
      dilation: spatial && spatial.dilation.known ? known(spatial.dilation.value[0]) : unknown(problem),
      convOrder: known(order),
      norms: known(norms),
      activations: known(activations),
      se,
      shortcut: known(shortcutConvs.length > 0 ? 'projection' : 'identity'),
      shortcutNorm:
        shortcutConvs.length > 0
          ? known(shortcutNorm?.kind === 'layer' && shortcutNorm.layer.kind === 'norm' ? shortcutNorm.layer.norm : null)
          : unknown('the block has an identity shortcut'),
    },
    factSources: {
      ...factSources,
      shortcutNorm: shortcutNorm?.source,
      dilation: spatial ? convs.find((c) => c.layer === spatial)?.source : undefined,
    },
  };
}
