/** The shape of an architecture spec once it has passed `schemas/arch-spec.schema.json`. */

export type SpecNorm = 'none' | 'batch' | 'instance' | 'layer';
export type SpecActivation =
  | 'none'
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
  | 'prelu'
  | 'psilu'
  | 'pssilu';

export interface ArchSpec {
  version?: 1;
  name?: string;
  budget?: number | string;
  input_channels?: number;
  num_classes?: number;
  input_size?: number;
  stem: {
    width: number;
    kernel?: number;
    stride?: number;
    patch?: number | null;
    max_pool?: boolean;
    norm?: SpecNorm;
    activation?: SpecActivation;
    bias?: boolean;
  };
  block: {
    order?: 'conv-norm-act' | 'norm-act-conv';
    norms?: [SpecNorm, SpecNorm, SpecNorm];
    activations?: [SpecActivation, SpecActivation, SpecActivation];
    bias?: boolean;
    kernel?: number;
    dilation?: number;
    se?: { ratio: number; activation?: SpecActivation } | null;
    shortcut_norm?: SpecNorm;
    shortcut_bias?: boolean;
    dense_ratio?: number;
  };
  stages: Array<{
    depth: number;
    width: number;
    stride: number;
    bottleneck?: number;
    groups?: number;
    group_width?: number;
    kernel?: number;
    dilation?: number;
  }>;
}
