import type { Diagnostic } from './diagnostic';
import type { Fact } from './fact';
import type { ActivationFunction, Layer, NormKind } from './layers';
import type { ModelEditor } from './editor';
import type { SourceRange } from './source';

/**
 * Where individual facts were written, keyed by fact name (`depth`, `maxPool`, `activations.1`...),
 * so a finding about one fact points at it rather than at the whole block or stage.
 */
export type FactSources = Readonly<Record<string, SourceRange | undefined>>;

/** Order of the three operations around each conv of a block. */
export type ConvOrder = 'conv-norm-act' | 'norm-act-conv';

export interface SqueezeExcitationFact {
  /** Index of the conv (0-based, within the block's branch) the SE module follows. */
  readonly afterConv: number;
  readonly squeezeChannels: number;
  /** Squeeze width as a fraction of the block's input width, when the file states it. */
  readonly ratio: Fact<number>;
  readonly activation: ActivationFunction | null;
}

export interface BlockFacts {
  readonly kind: Fact<'bottleneck' | 'basic'>;
  readonly inChannels: Fact<number>;
  readonly outChannels: Fact<number>;
  readonly stride: Fact<number>;
  /** Inner (grouped conv) width divided by the block's output width; > 1 is an inverted bottleneck. */
  readonly bottleneckMultiplier: Fact<number>;
  readonly innerWidth: Fact<number>;
  readonly groups: Fact<number>;
  readonly kernel: Fact<number>;
  readonly dilation: Fact<number>;
  readonly convOrder: Fact<ConvOrder>;
  /** One entry per conv of the residual branch; null where that conv has no norm. */
  readonly norms: Fact<readonly (NormKind | null)[]>;
  /**
   * One entry per conv of the residual branch; null where that conv has no activation. For
   * `conv-norm-act` blocks the last entry is the activation applied after the residual addition.
   */
  readonly activations: Fact<readonly (ActivationFunction | null)[]>;
  readonly se: Fact<SqueezeExcitationFact | null>;
  readonly shortcut: Fact<'identity' | 'projection'>;
  readonly shortcutNorm: Fact<NormKind | null>;
}

export interface Block {
  readonly factSources?: FactSources;
  readonly name: string;
  /** Position in its stage, from 0. */
  readonly index: number;
  /** The residual branch, in execution order. */
  readonly layers: readonly Layer[];
  /** The shortcut branch; empty for an identity shortcut. */
  readonly shortcut: readonly Layer[];
  /** Layers applied after the residual addition. */
  readonly after: readonly Layer[];
  readonly facts: BlockFacts;
  readonly source?: SourceRange;
}

export interface StageFacts {
  readonly depth: Fact<number>;
  /** Output channels of the stage. */
  readonly width: Fact<number>;
  readonly stride: Fact<number>;
  readonly groups: Fact<number>;
  readonly bottleneckMultiplier: Fact<number>;
  readonly kernel: Fact<number>;
  readonly dilation: Fact<number>;
  /** DenseNet-style connections between the stage's blocks (guideline 8); 0 when none. */
  readonly denseRatio: Fact<number>;
}

export interface Stage {
  readonly factSources?: FactSources;
  readonly name: string;
  /** 1-based, as the paper numbers stages. */
  readonly index: number;
  readonly blocks: readonly Block[];
  readonly facts: StageFacts;
  readonly source?: SourceRange;
}

export interface StemFacts {
  readonly width: Fact<number>;
  readonly kernel: Fact<number>;
  readonly stride: Fact<number>;
  readonly maxPool: Fact<boolean>;
  readonly patchify: Fact<boolean>;
  readonly norm: Fact<NormKind | null>;
  readonly activation: Fact<ActivationFunction | null>;
}

export interface Stem {
  readonly factSources?: FactSources;
  readonly layers: readonly Layer[];
  readonly facts: StemFacts;
  readonly source?: SourceRange;
}

export interface Head {
  readonly layers: readonly Layer[];
  readonly numClasses: Fact<number>;
  readonly source?: SourceRange;
}

export interface NetworkFacts {
  readonly stageCount: Fact<number>;
  readonly depths: Fact<readonly number[]>;
  readonly widths: Fact<readonly number[]>;
  readonly groups: Fact<readonly number[]>;
  readonly bottleneckMultipliers: Fact<readonly number[]>;
  readonly strides: Fact<readonly number[]>;
}

export type SourceFormat = 'arch-spec' | 'robarch-hydra' | 'pytorch' | 'keras' | 'tfjs';

export interface Budget {
  readonly params: number;
  readonly source?: SourceRange;
}

/** One model: stem, body stages of residual blocks, classifier head. */
export interface Network {
  readonly name: string;
  readonly file: string;
  readonly format: SourceFormat;
  readonly inputChannels: number;
  /** Input height and width when the file states them (a Keras input shape). */
  readonly inputSize?: number;
  readonly stem: Stem;
  readonly stages: readonly Stage[];
  readonly head: Head;
  readonly facts: NetworkFacts;
  readonly budget?: Budget;
  /** Where the model is declared (the spec root, the Hydra `kwargs`). */
  readonly source?: SourceRange;
  readonly factSources?: FactSources;
  /** Edits the file the network came from, for quick fixes; absent when the format cannot be edited. */
  readonly editor?: ModelEditor;
  /** What the front end noticed but did not treat as an error (a fallback it applied, say). */
  readonly notes: readonly Diagnostic[];
}
