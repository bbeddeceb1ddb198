import type { Fact } from './fact';
import type { SourceRange } from './source';

export type NormKind = 'batch' | 'instance' | 'layer' | 'group';

/** Activation functions of the RobArch design space and of common PyTorch/Keras code. */
export type ActivationFunction =
  | 'relu'
  | 'relu6'
  | 'leaky-relu'
  | 'elu'
  | 'silu'
  | 'gelu'
  | 'mish'
  | 'hardswish'
  | 'sigmoid'
  | 'tanh'
  | 'softplus'
  // Parametric: they hold learned parameters (guideline 11 finds them less robust).
  | 'prelu'
  | 'psilu'
  | 'pssilu';

export const PARAMETRIC_ACTIVATIONS: ReadonlySet<ActivationFunction> = new Set(['prelu', 'psilu', 'pssilu']);

export type Pair = readonly [number, number];

interface LayerBase {
  /** Dotted module path, the name PyTorch's `named_modules()` would give where the front end knows it. */
  readonly name: string;
  readonly source?: SourceRange;
  /**
   * Where the model's own code called the helper function that built this layer
   * (`self.conv1 = conv3x3(...)`): its count is shown there, not on the helper's shared `return`.
   */
  readonly callSite?: SourceRange;
  /** Learned parameters, counted the way PyTorch's `parameters()` counts them (buffers excluded). */
  readonly params: Fact<number>;
  /**
   * Weights Keras counts in a model's total but does not train (BatchNormalization's moving
   * mean and variance); PyTorch keeps them as buffers. Absent for other front ends.
   */
  readonly nonTrainable?: number;
}

export interface ConvLayer extends LayerBase {
  readonly kind: 'conv';
  readonly inChannels: Fact<number>;
  readonly outChannels: Fact<number>;
  readonly kernel: Fact<Pair>;
  readonly stride: Fact<Pair>;
  readonly padding: Fact<Pair>;
  readonly dilation: Fact<Pair>;
  readonly groups: Fact<number>;
  readonly bias: Fact<boolean>;
}

export interface LinearLayer extends LayerBase {
  readonly kind: 'linear';
  readonly inFeatures: Fact<number>;
  readonly outFeatures: Fact<number>;
  readonly bias: Fact<boolean>;
}

export interface NormLayer extends LayerBase {
  readonly kind: 'norm';
  readonly norm: NormKind;
  readonly channels: Fact<number>;
  /** Learned scale and shift (BatchNorm/LayerNorm/GroupNorm: yes by default; InstanceNorm: no). */
  readonly affine: Fact<boolean>;
  /** GroupNorm's number of groups. */
  readonly groups?: Fact<number>;
}

export interface ActivationLayer extends LayerBase {
  readonly kind: 'activation';
  readonly fn: ActivationFunction;
  readonly parametric: boolean;
  /** Learned parameters per layer for a parametric activation (PReLU's num_parameters). */
  readonly learnedCount: Fact<number>;
}

export interface PoolLayer extends LayerBase {
  readonly kind: 'pool';
  readonly pool: 'max' | 'avg';
  /** Adaptive/global pooling to a fixed output size. */
  readonly outputSize?: Pair;
  readonly kernel: Fact<Pair>;
  readonly stride: Fact<Pair>;
  readonly padding: Fact<Pair>;
}

/** Squeeze-and-excitation (Hu et al., 2018): global pool, 1x1 conv, activation, 1x1 conv, sigmoid gate. */
export interface SqueezeExcitationLayer extends LayerBase {
  readonly kind: 'se';
  readonly channels: Fact<number>;
  readonly squeezeChannels: Fact<number>;
  /** null for torch.nn.Identity. */
  readonly activation: ActivationFunction | null;
  /** Both 1x1 convs carry a bias, as torchvision's SqueezeExcitation does. */
  readonly bias: boolean;
}

export interface IdentityLayer extends LayerBase {
  readonly kind: 'identity';
}

export interface FlattenLayer extends LayerBase {
  readonly kind: 'flatten';
}

/** A layer without parameters the IR has no kind for (Dropout, Upsample...), kept by its class name. */
export interface OtherLayer extends LayerBase {
  readonly kind: 'other';
  readonly className: string;
}

export type Layer =
  | OtherLayer
  | ConvLayer
  | LinearLayer
  | NormLayer
  | ActivationLayer
  | PoolLayer
  | SqueezeExcitationLayer
  | IdentityLayer
  | FlattenLayer;

export type LayerKind = Layer['kind'];
