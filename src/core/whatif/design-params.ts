import type { ResidualDesign } from '../build/residual-design';
import type { NormKind } from '../ir/layers';
import type { ActivationFunction } from '../ir/layers';
import { defaultLearnedCount } from '../params/layer-params';
import { pythonRound } from '../util/python-round';

function normParams(kind: NormKind | null, channels: number): number {
  return kind && kind !== 'instance' ? 2 * channels : 0;
}

function activationParams(fn: ActivationFunction | null): number {
  return fn ? defaultLearnedCount(fn) : 0;
}

/**
 * Parameters of a design in closed form, without building layers: the same count as
 * `summarize(buildResidualNetwork(design)).total` (a unit test holds them equal), fast enough
 * for budget searches that count hundreds of variants.
 */
export function designParams(design: ResidualDesign): number {
  const { stem, block } = design;
  let total =
    design.inputChannels * stem.width * stem.kernel * stem.kernel +
    (stem.bias ? stem.width : 0) +
    normParams(stem.norm, stem.width) +
    activationParams(stem.activation);
  const post = block.order === 'conv-norm-act';
  const [n0, n1, n2] = block.norms;
  const [a0, a1, a2] = block.activations;
  const [b0, b1, b2] = block.convBias;
  let widthIn = stem.width;
  for (const stage of design.stages) {
    const { innerWidth: inner, width, groups, kernel } = stage;
    for (let i = 0; i < stage.depth; i++) {
      const blockIn = i === 0 ? widthIn : width;
      const stride = i === 0 ? stage.stride : 1;
      total += blockIn * inner + (b0 ? inner : 0) + normParams(n0, post ? inner : blockIn) + activationParams(a0);
      total +=
        inner * (inner / groups) * kernel * kernel + (b1 ? inner : 0) + normParams(n1, inner) + activationParams(a1);
      if (block.se) {
        const squeeze = pythonRound(block.se.ratio * blockIn);
        total += 2 * inner * squeeze + squeeze + inner + activationParams(block.se.activation);
      }
      total += inner * width + (b2 ? width : 0) + normParams(n2, post ? width : inner) + activationParams(a2);
      if (blockIn !== width || stride !== 1) {
        total +=
          blockIn * width +
          (post && block.shortcutBias ? width : 0) +
          (post ? normParams(block.shortcutNorm, width) : 0);
      }
    }
    widthIn = stage.width;
  }
  return total + widthIn * design.numClasses + design.numClasses;
}
