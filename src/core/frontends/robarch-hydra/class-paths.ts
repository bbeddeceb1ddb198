import type { ActivationFunction, NormKind } from '../../ir/layers';
import type { ConvOrder } from '../../ir/network';

/**
 * The Python classes a RobArch Hydra config may name, and what each means in the IR.
 * A class path is matched on its final name within the modules that define it, so
 * `torch.nn.BatchNorm2d` and `torch.nn.modules.batchnorm.BatchNorm2d` are the same class.
 */

const TORCH_NN = /^torch\.nn\.(?:modules\.[a-z_]+\.)?([A-Za-z0-9_]+)$/;
const ROBARCH_UTILS = /^robustarch\.utils\.([A-Za-z0-9_]+)$/;

function torchName(path: string): string | undefined {
  return TORCH_NN.exec(path)?.[1];
}

/** 'identity' for torch.nn.Identity (no layer), a norm kind, or an error message. */
export function normClass(path: string): NormKind | 'identity' | { error: string } {
  switch (torchName(path)) {
    case 'BatchNorm2d':
      return 'batch';
    case 'InstanceNorm2d':
      return 'instance';
    case 'LayerNorm':
      return 'layer';
    case 'Identity':
      return 'identity';
    case 'GroupNorm':
      return { error: `${path} needs num_groups, but RobArch's code builds every norm as norm_layer(channels)` };
    default:
      return {
        error: `unsupported norm class ${path}; expected torch.nn.BatchNorm2d, InstanceNorm2d, LayerNorm or Identity`,
      };
  }
}

const TORCH_ACTIVATIONS: Record<string, ActivationFunction> = {
  ReLU: 'relu',
  ReLU6: 'relu6',
  LeakyReLU: 'leaky-relu',
  ELU: 'elu',
  SiLU: 'silu',
  GELU: 'gelu',
  Mish: 'mish',
  Hardswish: 'hardswish',
  Sigmoid: 'sigmoid',
  Tanh: 'tanh',
  Softplus: 'softplus',
  PReLU: 'prelu',
};
const ROBARCH_ACTIVATIONS: Record<string, ActivationFunction> = { PSiLU: 'psilu', PSSiLU: 'pssilu' };

export function activationClass(path: string): ActivationFunction | 'identity' | { error: string } {
  const torch = torchName(path);
  if (torch === 'Identity') return 'identity';
  const fn = (torch && TORCH_ACTIVATIONS[torch]) ?? ROBARCH_ACTIVATIONS[ROBARCH_UTILS.exec(path)?.[1] ?? ''];
  if (fn) return fn;
  return {
    error:
      `unsupported activation class ${path}; expected a torch.nn activation (ReLU, SiLU, ` +
      `GELU, PReLU, ...), robustarch.utils.PSiLU/PSSiLU or torch.nn.Identity`,
  };
}

export function convBlockClass(path: string): ConvOrder | { error: string } {
  if (/(^|\.)Conv2dNormActivation$/.test(path) && /^(torchvision\.ops(\.misc)?|robustarch\.models\.model)\./.test(path))
    return 'conv-norm-act';
  if (path === 'robustarch.models.model.NormActivationConv2d') return 'norm-act-conv';
  return {
    error:
      `unsupported ConvBlock ${path}; expected torchvision.ops.misc.Conv2dNormActivation or ` +
      `robustarch.models.model.NormActivationConv2d`,
  };
}

export function isRobArchStem(path: string): boolean {
  return path === 'robustarch.models.model.Stem';
}

export function isRobArchBottleneck(path: string): boolean {
  return path === 'robustarch.models.model.BottleneckBlock';
}

/** The class path that writes an activation in a RobArch config. */
export function torchActivationPath(fn: ActivationFunction): string | undefined {
  const torch = Object.entries(TORCH_ACTIVATIONS).find(([, value]) => value === fn)?.[0];
  if (torch) return `torch.nn.${torch}`;
  const robarch = Object.entries(ROBARCH_ACTIVATIONS).find(([, value]) => value === fn)?.[0];
  return robarch ? `robustarch.utils.${robarch}` : undefined;
}

export function torchNormPath(norm: NormKind): string | undefined {
  switch (norm) {
    case 'batch':
      return 'torch.nn.BatchNorm2d';
    case 'instance':
      return 'torch.nn.InstanceNorm2d';
    case 'layer':
      return 'torch.nn.LayerNorm';
    default:
      return undefined;
  }
}
