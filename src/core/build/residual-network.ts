import { known, unknown, type Fact } from '../ir/fact';
import type { Layer } from '../ir/layers';
import type { Block, Network, Stage, Stem } from '../ir/network';
import type { SourceRange } from '../ir/source';
import { pythonRound } from '../util/python-round';
import { activation, conv, flatten, linear, norm, pool, squeezeExcitation } from './layers';
import type { BlockDesign, ResidualDesign, StageDesign } from './residual-design';

/**
 * Builds the IR of a residual bottleneck network with the module structure and names of RobArch's
 * `ConfigurableModel` (Peng et al., 2023), which generalises torchvision's ResNet-50: the same
 * parameters, and names that match PyTorch's `named_modules()` for that code.
 */
export function buildResidualNetwork(design: ResidualDesign): Network {
  const stem = buildStem(design);
  const stages: Stage[] = [];
  let width = design.stem.width;
  design.stages.forEach((stageDesign, i) => {
    stages.push(buildStage(design.block, stageDesign, i + 1, width));
    width = stageDesign.width;
  });
  const head: Layer[] = [
    pool({ name: 'avgpool', pool: 'avg', outputSize: [1, 1], source: design.headSource }),
    flatten({ name: 'flatten', source: design.headSource }),
    linear({ name: 'fc', inFeatures: width, outFeatures: design.numClasses, bias: true, source: design.headSource }),
  ];
  const stageList = <T>(pick: (s: StageDesign) => T): Fact<readonly T[]> => known(design.stages.map(pick));
  return {
    name: design.name,
    file: design.file,
    format: design.format,
    inputChannels: design.inputChannels,
    ...(design.inputSize ? { inputSize: design.inputSize } : {}),
    stem,
    stages,
    head: { layers: head, numClasses: known(design.numClasses), source: design.headSource },
    facts: {
      stageCount: known(design.stages.length),
      depths: stageList((s) => s.depth),
      widths: stageList((s) => s.width),
      groups: stageList((s) => s.groups),
      bottleneckMultipliers: stageList((s) => s.bottleneckMultiplier),
      strides: stageList((s) => s.stride),
    },
    budget: design.budget,
    source: design.source,
    factSources: design.factSources,
    editor: design.editor,
    notes: design.notes,
  };
}

function buildStem(design: ResidualDesign): Stem {
  const s = design.stem;
  const prefix = 'stem.stem.stem';
  const layers: Layer[] = [
    conv({
      name: `${prefix}.0`,
      inChannels: design.inputChannels,
      outChannels: s.width,
      kernel: s.kernel,
      stride: s.stride,
      padding: Math.floor((s.kernel - 1) / 2),
      bias: s.bias,
      source: s.source,
    }),
  ];
  // Conv2dNormActivation numbers only the modules it creates.
  const activationIndex = s.norm ? 2 : 1;
  if (s.norm) layers.push(norm({ name: `${prefix}.1`, norm: s.norm, channels: s.width, source: s.source }));
  if (s.activation)
    layers.push(activation({ name: `${prefix}.${activationIndex}`, fn: s.activation, source: s.source }));
  if (s.maxPool) {
    layers.push(
      pool({
        name: 'stem.stem.stem_downsample',
        pool: 'max',
        kernel: s.maxPool.kernel,
        stride: s.maxPool.stride,
        padding: s.maxPool.padding,
        source: s.maxPoolSource ?? s.source,
      }),
    );
  }
  return {
    layers,
    source: s.source,
    factSources: s.factSources,
    facts: {
      width: known(s.width),
      kernel: known(s.kernel),
      stride: known(s.stride),
      maxPool: known(s.maxPool !== null),
      patchify: known(s.patchify),
      norm: known(s.norm),
      activation: known(s.activation),
    },
  };
}

function buildStage(block: BlockDesign, stage: StageDesign, index: number, widthIn: number): Stage {
  const name = `stages.stage${index}`;
  const blocks: Block[] = [];
  for (let i = 0; i < stage.depth; i++) {
    blocks.push(
      buildBlock(block, stage, {
        name: `${name}.stage${index}-block${i}`,
        index: i,
        widthIn: i === 0 ? widthIn : stage.width,
        stride: i === 0 ? stage.stride : 1,
      }),
    );
  }
  return {
    name,
    index,
    blocks,
    source: stage.source,
    factSources: stage.factSources,
    facts: {
      depth: known(stage.depth),
      width: known(stage.width),
      stride: known(stage.stride),
      groups: known(stage.groups),
      bottleneckMultiplier: known(stage.bottleneckMultiplier),
      kernel: known(stage.kernel),
      dilation: known(stage.dilation),
      denseRatio: known(block.denseRatio),
    },
  };
}

interface BlockPlace {
  name: string;
  index: number;
  widthIn: number;
  stride: number;
}

/** One conv of the branch with its norm and activation, in the block's order. */
function convUnit(
  block: BlockDesign,
  position: 0 | 1 | 2,
  prefix: string,
  spec: {
    inChannels: number;
    outChannels: number;
    kernel: number;
    stride: number;
    dilation: number;
    groups: number;
    source?: SourceRange;
  },
  withActivation: boolean,
): Layer[] {
  const normKind = block.norms[position];
  const act = withActivation ? block.activations[position] : null;
  // Every layer of a block points at its stage's entry, so a stage's line carries its cost;
  // where each fact was written is kept in factSources for the guideline findings.
  const normSource = spec.source;
  const actSource = spec.source;
  const convLayer = (name: string): Layer =>
    conv({
      name,
      inChannels: spec.inChannels,
      outChannels: spec.outChannels,
      kernel: spec.kernel,
      stride: spec.stride,
      dilation: spec.dilation,
      padding: Math.floor((spec.kernel - 1) / 2) * spec.dilation,
      groups: spec.groups,
      bias: block.convBias[position],
      source: spec.source,
    });
  const normSlot = normKind !== null || (block.filledSlots?.norms[position] ?? true);
  const actSlot = act !== null || (withActivation && (block.filledSlots?.activations[position] ?? true));
  const layers: Layer[] = [];
  let next = 0;
  const addNorm = (channels: number): void => {
    if (normKind) layers.push(norm({ name: `${prefix}.${next}`, norm: normKind, channels, source: normSource }));
    if (normSlot) next++;
  };
  const addActivation = (): void => {
    if (act) layers.push(activation({ name: `${prefix}.${next}`, fn: act, source: actSource }));
    if (actSlot) next++;
  };
  if (block.order === 'conv-norm-act') {
    // torchvision's Conv2dNormActivation: conv, norm, activation.
    layers.push(convLayer(`${prefix}.${next++}`));
    addNorm(spec.outChannels);
    addActivation();
  } else {
    // Pre-activation: norm over the input channels, activation, then conv.
    addNorm(spec.inChannels);
    addActivation();
    layers.push(convLayer(`${prefix}.${next}`));
  }
  return layers;
}

function buildBlock(block: BlockDesign, stage: StageDesign, place: BlockPlace): Block {
  const { innerWidth, groups } = stage;
  const postOrder = block.order === 'conv-norm-act';
  const branch = `${place.name}.F`;
  const layers: Layer[] = [
    ...convUnit(
      block,
      0,
      `${branch}.a`,
      {
        inChannels: place.widthIn,
        outChannels: innerWidth,
        kernel: 1,
        stride: 1,
        dilation: 1,
        groups: 1,
        source: stage.source,
      },
      true,
    ),
    ...convUnit(
      block,
      1,
      `${branch}.b`,
      {
        inChannels: innerWidth,
        outChannels: innerWidth,
        kernel: stage.kernel,
        stride: place.stride,
        dilation: stage.dilation,
        groups,
        source: stage.source,
      },
      true,
    ),
  ];
  let squeezeChannels: number | null = null;
  if (block.se) {
    // RegNet-style: the squeeze width follows the block's input width, not the SE's own input.
    squeezeChannels = pythonRound(block.se.ratio * place.widthIn);
    layers.push(
      squeezeExcitation({
        name: `${branch}.se`,
        channels: innerWidth,
        squeezeChannels,
        activation: block.se.activation,
        source: stage.source,
      }),
    );
  }
  layers.push(
    ...convUnit(
      block,
      2,
      `${branch}.c`,
      {
        inChannels: innerWidth,
        outChannels: stage.width,
        kernel: 1,
        stride: 1,
        dilation: 1,
        groups: 1,
        source: stage.source,
      },
      !postOrder,
    ),
  );

  const projection = place.widthIn !== stage.width || place.stride !== 1;
  const shortcut: Layer[] = [];
  if (projection) {
    const shortcutNorm = postOrder ? block.shortcutNorm : null;
    shortcut.push(
      conv({
        name: `${place.name}.proj.0`,
        inChannels: place.widthIn,
        outChannels: stage.width,
        kernel: 1,
        stride: place.stride,
        bias: postOrder ? block.shortcutBias : false,
        source: stage.source,
      }),
    );
    if (shortcutNorm) {
      shortcut.push(
        norm({ name: `${place.name}.proj.1`, norm: shortcutNorm, channels: stage.width, source: stage.source }),
      );
    }
  }
  const after: Layer[] = [];
  const lastActivation = block.activations[2];
  if (postOrder && lastActivation) {
    after.push(activation({ name: `${place.name}.last_activation`, fn: lastActivation, source: stage.source }));
  }

  const se =
    block.se && squeezeChannels !== null
      ? known({ afterConv: 1, squeezeChannels, ratio: known(block.se.ratio), activation: block.se.activation })
      : known(null);
  return {
    name: place.name,
    index: place.index,
    layers,
    shortcut,
    after,
    source: stage.source,
    factSources: block.factSources,
    facts: {
      kind: known('bottleneck'),
      inChannels: known(place.widthIn),
      outChannels: known(stage.width),
      stride: known(place.stride),
      bottleneckMultiplier: known(stage.bottleneckMultiplier),
      innerWidth: known(innerWidth),
      groups: known(groups),
      kernel: known(stage.kernel),
      dilation: known(stage.dilation),
      convOrder: known(block.order),
      norms: known([...block.norms]),
      activations: known([...block.activations]),
      se,
      shortcut: known(projection ? 'projection' : 'identity'),
      shortcutNorm: projection
        ? known(postOrder ? block.shortcutNorm : null)
        : unknown('the block has an identity shortcut'),
    },
  };
}
