import type { ModelEditor } from '../ir/editor';
import type { Budget, ConvOrder, FactSources, SourceFormat } from '../ir/network';
import type { Diagnostic } from '../ir/diagnostic';
import type { ActivationFunction, NormKind } from '../ir/layers';
import type { SourceRange } from '../ir/source';
import { pythonRound } from '../util/python-round';

/**
 * A residual bottleneck network in the RobArch design space, after a front end has read and
 * validated it: every value here is known. Both our spec format and RobArch's Hydra configs
 * become this, and `buildResidualNetwork` turns it into the IR.
 */
export interface ResidualDesign {
  readonly name: string;
  readonly file: string;
  readonly format: SourceFormat;
  readonly inputChannels: number;
  readonly numClasses: number;
  /** The square input side the file declares (MACs are counted there). */
  readonly inputSize?: number;
  readonly budget?: Budget;
  readonly source?: SourceRange;
  readonly notes: readonly Diagnostic[];
  readonly stem: StemDesign;
  readonly block: BlockDesign;
  readonly stages: readonly StageDesign[];
  readonly headSource?: SourceRange;
  readonly factSources?: FactSources;
  readonly editor?: ModelEditor;
}

export interface StemDesign {
  readonly width: number;
  /** Conv kernel; for a patchify stem the patch size. */
  readonly kernel: number;
  readonly stride: number;
  readonly patchify: boolean;
  readonly maxPool: { readonly kernel: number; readonly stride: number; readonly padding: number } | null;
  readonly norm: NormKind | null;
  readonly activation: ActivationFunction | null;
  readonly bias: boolean;
  readonly source?: SourceRange;
  readonly maxPoolSource?: SourceRange;
  readonly factSources?: FactSources;
}

export interface BlockDesign {
  readonly order: ConvOrder;
  /** Per conv of the branch (1x1, kxk, 1x1). */
  readonly norms: readonly [NormKind | null, NormKind | null, NormKind | null];
  readonly activations: readonly [ActivationFunction | null, ActivationFunction | null, ActivationFunction | null];
  readonly convBias: readonly [boolean, boolean, boolean];
  /**
   * Whether a module (torch.nn.Identity) fills each norm / activation slot that has no norm or
   * activation. PyTorch numbers a Sequential's children, so an absent module (None) shifts the
   * names of the ones after it. Default: every slot is filled, as RobArch's configs write it.
   */
  readonly filledSlots?: { readonly norms: readonly boolean[]; readonly activations: readonly boolean[] };
  readonly se: {
    readonly ratio: number;
    readonly activation: ActivationFunction | null;
    readonly source?: SourceRange;
  } | null;
  readonly shortcutNorm: NormKind | null;
  readonly shortcutBias: boolean;
  readonly denseRatio: number;
  readonly source?: SourceRange;
  readonly normSources?: readonly (SourceRange | undefined)[];
  readonly activationSources?: readonly (SourceRange | undefined)[];
  readonly factSources?: FactSources;
}

export interface StageDesign {
  readonly depth: number;
  readonly width: number;
  readonly stride: number;
  readonly bottleneckMultiplier: number;
  /** Width of the grouped kxk conv: round(b x width), with Python's rounding as RobArch's code. */
  readonly innerWidth: number;
  readonly groups: number;
  readonly kernel: number;
  readonly dilation: number;
  readonly source?: SourceRange;
  readonly factSources?: FactSources;
}

export type GroupSpec = { readonly groups: number } | { readonly groupWidth: number };

/**
 * Inner width and groups of a stage's grouped conv, or why they are invalid. RobArch's code:
 * w_b = int(round(width * b)); groups = w_b // group_width; w_b must divide by groups.
 */
export function resolveInnerConv(
  width: number,
  bottleneckMultiplier: number,
  groupSpec: GroupSpec,
): { innerWidth: number; groups: number } | { error: string } {
  const innerWidth = pythonRound(width * bottleneckMultiplier);
  if (innerWidth < 1) {
    return {
      error:
        `bottleneck width round(${bottleneckMultiplier} x ${width}) = ${innerWidth} is not ` +
        `a positive channel count`,
    };
  }
  const groups = 'groups' in groupSpec ? groupSpec.groups : Math.floor(innerWidth / groupSpec.groupWidth);
  if (groups < 1) {
    const how =
      'groupWidth' in groupSpec
        ? ` (group width ${groupSpec.groupWidth} is wider than the ${innerWidth}-channel conv)`
        : '';
    return { error: `the grouped conv would have ${groups} groups${how}` };
  }
  if (innerWidth % groups !== 0) {
    return {
      error:
        `bottleneck width ${innerWidth} (= round(${bottleneckMultiplier} x ${width})) is ` +
        `not divisible by ${groups} groups`,
    };
  }
  return { innerWidth, groups };
}
