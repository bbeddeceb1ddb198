import type { ResidualDesign, StageDesign } from '../build/residual-design';
import type { Fact } from '../ir/fact';
import type { ConvLayer } from '../ir/layers';
import type { Block, Network } from '../ir/network';
import { summarize } from '../params/summary';
import { designParams } from './design-params';

/**
 * Rebuilds the design of a network from its IR facts, so budget-aware rules can count variants
 * ("what if the kernel were 3?") with the real counter. Undefined when a fact is unknown or the
 * blocks do not share one design: then those rules stay silent rather than guess.
 */
export function designFromNetwork(network: Network): ResidualDesign | undefined {
  const design = reconstruct(network);
  if (!design) return undefined;
  // Only a design that counts exactly what the network counts may stand for it.
  const total = summarize(network).total;
  return total.known && designParams(design) === total.value ? design : undefined;
}

function reconstruct(network: Network): ResidualDesign | undefined {
  const v = <T>(fact: Fact<T>): T | undefined => (fact.known ? fact.value : undefined);
  const first = network.stages[0]?.blocks[0];
  if (!first) return undefined;
  const f = first.facts;
  const order = v(f.convOrder);
  const norms = v(f.norms);
  const activations = v(f.activations);
  const se = v(f.se);
  const numClasses = v(network.head.numClasses);
  const stem = network.stem.facts;
  const stemWidth = v(stem.width);
  const stemKernel = v(stem.kernel);
  const stemStride = v(stem.stride);
  const maxPool = v(stem.maxPool);
  const patchify = v(stem.patchify);
  const stemNorm = v(stem.norm);
  const stemActivation = v(stem.activation);
  if (
    !order ||
    !norms ||
    !activations ||
    se === undefined ||
    !numClasses ||
    stemWidth === undefined ||
    stemKernel === undefined ||
    stemStride === undefined ||
    maxPool === undefined ||
    patchify === undefined ||
    stemNorm === undefined ||
    stemActivation === undefined
  ) {
    return undefined;
  }
  const seRatio = se ? v(se.ratio) : undefined;
  if (se && seRatio === undefined) return undefined;
  const convBias = blockConvBias(first);
  const shortcutBlock = network.stages.flatMap((s) => s.blocks).find((b) => b.shortcut.length > 0);
  const shortcutConv = shortcutBlock?.shortcut.find((l): l is ConvLayer => l.kind === 'conv');
  const shortcutNorm = shortcutBlock ? v(shortcutBlock.facts.shortcutNorm) : 'batch';
  if (!convBias || shortcutNorm === undefined) return undefined;

  const stages: StageDesign[] = [];
  for (const stage of network.stages) {
    const s = stage.facts;
    const values = [
      v(s.depth),
      v(s.width),
      v(s.stride),
      v(s.bottleneckMultiplier),
      v(s.groups),
      v(s.kernel),
      v(s.dilation),
    ];
    if (values.some((x) => x === undefined)) return undefined;
    const [depth, width, stride, bottleneckMultiplier, groups, kernel, dilation] = values as number[];
    const innerWidth = v(stage.blocks[0]?.facts.innerWidth ?? { known: false, reason: 'no block' });
    if (innerWidth === undefined || depth === undefined || width === undefined) return undefined;
    stages.push({
      depth,
      width,
      stride: stride ?? 1,
      bottleneckMultiplier: bottleneckMultiplier ?? 0.25,
      innerWidth,
      groups: groups ?? 1,
      kernel: kernel ?? 3,
      dilation: dilation ?? 1,
    });
  }
  const pool = network.stem.layers.find((l) => l.kind === 'pool');
  const denseRatio = v(network.stages[0]?.facts.denseRatio ?? { known: false, reason: 'no stage' }) ?? 0;
  const stemConv = network.stem.layers.find((l): l is ConvLayer => l.kind === 'conv');
  return {
    name: network.name,
    file: network.file,
    format: network.format,
    inputChannels: network.inputChannels,
    numClasses,
    notes: [],
    stem: {
      width: stemWidth,
      kernel: stemKernel,
      stride: stemStride,
      patchify,
      maxPool:
        maxPool && pool?.kind === 'pool' && pool.kernel.known && pool.stride.known && pool.padding.known
          ? { kernel: pool.kernel.value[0], stride: pool.stride.value[0], padding: pool.padding.value[0] }
          : null,
      norm: stemNorm,
      activation: stemActivation,
      bias: stemConv?.bias.known ? stemConv.bias.value : false,
    },
    block: {
      order,
      norms: [norms[0] ?? null, norms[1] ?? null, norms[2] ?? null],
      activations: [activations[0] ?? null, activations[1] ?? null, activations[2] ?? null],
      convBias,
      se: se && seRatio !== undefined ? { ratio: seRatio, activation: se.activation } : null,
      shortcutNorm,
      shortcutBias: shortcutConv?.bias.known ? shortcutConv.bias.value : false,
      denseRatio,
    },
    stages,
  };
}

function blockConvBias(block: Block): [boolean, boolean, boolean] | undefined {
  const convs = block.layers.filter((l): l is ConvLayer => l.kind === 'conv');
  if (convs.length !== 3 || convs.some((c) => !c.bias.known)) return undefined;
  return convs.map((c) => c.bias.known && c.bias.value) as [boolean, boolean, boolean];
}
