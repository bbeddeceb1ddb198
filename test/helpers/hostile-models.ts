/**
 * Small model files built to exhaust an analysis: each is a few hundred bytes to a few hundred
 * kilobytes of text that asks the reader for unbounded memory or time. Generated here, so the
 * tests hold no copies of attack files.
 */

export interface HostileModel {
  readonly name: string;
  /** The file name the front ends see (its extension picks the reader). */
  readonly file: string;
  readonly text: string;
  /**
   * What ends it: `limit` a reader's budget or the server's (a message naming the limit), `any`
   * that or a full read (the file is slow or large but within every budget on a fast machine).
   */
  readonly ends: 'limit' | 'any';
}

const HYDRA_CLASS = (path: string): string => `    - _target_: hydra.utils.get_class\n      path: ${path}\n`;

export function hydraConfig(depths: readonly number[]): string {
  const list = (values: readonly (number | string)[]): string => values.map((v) => `    - ${v}\n`).join('');
  const n = depths.length;
  return (
    'kwargs:\n' +
    `  stage_widths:\n${list(Array.from({ length: n }, () => 256))}` +
    '  kernel: 3\n' +
    `  strides:\n${list(Array.from({ length: n }, () => 1))}` +
    '  dilation: 1\n' +
    `  norm_layer:\n${HYDRA_CLASS('torch.nn.BatchNorm2d').repeat(3)}` +
    `  activation_layer:\n${HYDRA_CLASS('torch.nn.ReLU').repeat(3)}` +
    `  group_widths:\n${list(Array.from({ length: n }, () => 64))}` +
    `  bottleneck_multipliers:\n${list(Array.from({ length: n }, () => 0.25))}` +
    `  depths:\n${list(depths)}` +
    ('  stem_width: 64\n  stem_kernel: 7\n  downsample_norm:\n    _target_: ' +
      'hydra.utils.get_class\n    path: torch.nn.BatchNorm2d\n  stem_downsample_factor: 4\n  ' +
      'num_classes: 10\n')
  );
}

export function archSpec(stages: readonly { depth: number; width: number }[], name = 'hostile'): string {
  return (
    `version: 1\nname: ${name}\nstem: { width: 64 }\nblock: {}\nstages:\n` +
    stages.map((s) => `  - { depth: ${s.depth}, width: ${s.width}, stride: 1 }\n`).join('')
  );
}

const PYTORCH_TAIL =
  'class Net(nn.Module):\n    def __init__(self):\n        super().__init__()\n        ' +
  'self.conv = nn.Conv2d(3, 8, 3)\n\n' +
  '    def forward(self, x):\n        return self.conv(x)\n';

/** Doubling a list 64 times: 2^64 elements (today V8 aborts the whole process). */
export function listDoubling(times = 64): string {
  return `import torch.nn as nn\n\nl = [1]\n${'l = l + l\n'.repeat(times)}\n${PYTORCH_TAIL}`;
}

export function listMultiplication(): string {
  return `import torch.nn as nn\n\nl = [0] * 10**9\nm = [l] * 10**9\n\n${PYTORCH_TAIL}`;
}

export const HOSTILE_MODELS: readonly HostileModel[] = [
  {
    name: 'a spec with depth 100,000,000',
    file: 'deep.arch.yaml',
    text: archSpec([{ depth: 100_000_000, width: 256 }]),
    ends: 'limit',
  },
  {
    name: 'a Hydra config with depth 100,000,000',
    file: 'deep_hydra.yaml',
    text: hydraConfig([3, 100_000_000]),
    ends: 'limit',
  },
  {
    name: 'a spec with 16,000 stages',
    file: 'wide.arch.yaml',
    text: archSpec(Array.from({ length: 16_000 }, () => ({ depth: 1, width: 8 }))),
    ends: 'any',
  },
  { name: 'a Python list doubled 64 times', file: 'doubling.py', text: listDoubling(), ends: 'limit' },
  { name: 'a Python list multiplied by 10**9 twice', file: 'multiply.py', text: listMultiplication(), ends: 'any' },
];
