import { known, unknown, type Fact } from '../ir/fact';
import type { ModelEditor } from '../ir/editor';
import type { ActivationFunction, ConvLayer, Layer } from '../ir/layers';
import type { Block, BlockFacts, Network, SourceFormat, Stage, StageFacts } from '../ir/network';
import type { SourceRange } from '../ir/source';
import { value } from './residual-blocks';

/**
 * The parts of building the IR that front ends which discover structure (PyTorch, Keras) share:
 * a stage's facts from its blocks, and the network's facts from its stem, stages and head.
 */

export function stageFromBlocks(
  name: string,
  index: number,
  blocks: Block[],
  source: SourceRange | undefined,
  denseRatio: Fact<number>,
): Stage {
  const first = blocks[0]?.facts;
  const agree = <T>(pick: (f: BlockFacts) => Fact<T>): Fact<T> => {
    const facts = blocks.map((b) => pick(b.facts));
    const f0 = facts[0];
    if (!f0) return unknown('an empty stage');
    if (!f0.known) return f0;
    return facts.every((f) => f.known && f.value === f0.value) ? f0 : unknown('the blocks of this stage differ');
  };
  const facts: StageFacts = {
    depth: known(blocks.length),
    width: first ? first.outChannels : unknown('an empty stage'),
    stride: first ? first.stride : unknown('an empty stage'),
    groups: agree((f) => f.groups),
    bottleneckMultiplier: agree((f) => f.bottleneckMultiplier),
    kernel: agree((f) => f.kernel),
    dilation: agree((f) => f.dilation),
    denseRatio,
  };
  const firstBlock = blocks[0];
  return {
    name,
    index,
    blocks,
    facts,
    source,
    factSources: {
      depth: source,
      width: source,
      stride: source,
      bottleneck: firstBlock?.source,
      groups: firstBlock?.source,
      kernel: firstBlock?.factSources?.dilation ?? firstBlock?.source,
      dilation: firstBlock?.factSources?.dilation ?? firstBlock?.source,
    },
  };
}

export interface NetworkParts {
  readonly name: string;
  readonly file: string;
  readonly format: SourceFormat;
  readonly stem: Layer[];
  readonly stages: Stage[];
  readonly head: Layer[];
  readonly source?: SourceRange;
  readonly editor?: ModelEditor;
  /** The stem's activation when it is applied without a layer of its own (PyTorch's F.relu). */
  readonly stemActivation?: ActivationFunction | null;
  readonly inputSize?: number;
}

/**
 * The stem's convs on the input path, last first: from the first conv through the convs that follow it
 * with only norms and activations between, up to the first other layer (a pool). When no stage of
 * residual blocks is recognised (DenseNet), the stem holds every layer: a dense layer's conv is not it.
 */
function inputPathConvs(stem: readonly Layer[]): ConvLayer[] {
  const start = stem.findIndex((l) => l.kind === 'conv');
  const first = stem[start];
  // Named layers (PyTorch's dotted paths): a conv in another module than the first (EfficientNet's
  // first block after its Conv2dNormActivation stem) is not the stem's.
  const parentOf = (name: string): string => name.slice(0, Math.max(0, name.lastIndexOf('.')));
  const parent = first?.name.includes('.') ? parentOf(first.name) : undefined;
  const convs: ConvLayer[] = [];
  for (const layer of start < 0 ? [] : stem.slice(start)) {
    if (layer.kind === 'conv' && (parent === undefined || parentOf(layer.name) === parent)) convs.unshift(layer);
    else if (layer.kind !== 'norm' && layer.kind !== 'activation' && layer.kind !== 'identity') break;
  }
  return convs;
}

export function assembleNetwork(parts: NetworkParts): Network {
  const { stem, stages, head } = parts;
  const stemConvs = stem.filter((l): l is ConvLayer => l.kind === 'conv');
  const stemConv = stemConvs[0];
  const lastStemConv = inputPathConvs(stem)[0] ?? stemConv;
  const maxPool = stem.find((l) => l.kind === 'pool' && l.pool === 'max' && !l.outputSize);
  const stemNorm = stem.find((l) => l.kind === 'norm');
  const stemActivation = stem.find((l) => l.kind === 'activation');
  const linear = [...head].reverse().find((l) => l.kind === 'linear');
  const stageFacts = <T>(pick: (s: Stage) => Fact<T>): Fact<readonly T[]> => {
    if (stages.length === 0) return unknown('no stages of residual blocks were recognised');
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
  const activation = stemActivation?.kind === 'activation' ? stemActivation.fn : (parts.stemActivation ?? null);
  return {
    name: parts.name,
    file: parts.file,
    format: parts.format,
    inputChannels: stemConv && stemConv.inChannels.known ? stemConv.inChannels.value : 3,
    ...(parts.inputSize ? { inputSize: parts.inputSize } : {}),
    stem: {
      layers: stem,
      source: stemConv?.source,
      factSources: {
        width: lastStemConv?.source,
        kernel: stemConv?.source,
        maxPool: maxPool?.source ?? stemConv?.source,
        norm: stemNorm?.source,
      },
      facts: {
        width: lastStemConv ? lastStemConv.outChannels : unknown('the stem has no conv'),
        kernel: kernel !== undefined ? known(kernel) : unknown('the stem conv kernel is not known'),
        stride: stride !== undefined ? known(stride) : unknown('the stem conv stride is not known'),
        maxPool: known(maxPool !== undefined),
        patchify:
          kernel !== undefined && stride !== undefined
            ? known(kernel === stride && kernel > 1 && !maxPool)
            : unknown('the stem conv is not known'),
        norm: known(stemNorm?.kind === 'norm' ? stemNorm.norm : null),
        activation: known(activation),
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
      depths: stageFacts((s) => s.facts.depth),
      widths: stageFacts((s) => s.facts.width),
      groups: stageFacts((s) => s.facts.groups),
      bottleneckMultipliers: stageFacts((s) => s.facts.bottleneckMultiplier),
      strides: stageFacts((s) => s.facts.stride),
    },
    source: parts.source,
    factSources: { stages: parts.source },
    editor: parts.editor,
    notes: [],
  };
}
