/**
 * Networks that between them use every layer the onnxruntime training graphs build: the
 * training parity tests (onnx-training.test.ts) and the blocked-layout tests share them.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { KNOWN_NORMALIZATIONS, type InputNormalization } from '../../../src/engine/tfjs/normalize-input';

const ROOT = path.resolve(__dirname, '../../../..');

export interface DesignCase {
  readonly name: string;
  readonly file: string;
  readonly text: string;
  /** Image height and width. */
  readonly size: number;
  readonly normalization?: InputNormalization;
}

/**
 * Strided/grouped/dilated convs, BN (folded at evaluation, batch statistics in training), every learned activation, SE,
 * pools, linear, residual adds.
 */
export const TRAINING_CASES: readonly DesignCase[] = [
  {
    name: 'MNIST-small (SiLU, BN, strided and 1x1 projection convs)',
    file: 'mnist-small.arch.yaml',
    text: fs.readFileSync(path.join(ROOT, 'examples/mnist-small.arch.yaml'), 'utf8'),
    size: 28,
    normalization: KNOWN_NORMALIZATIONS.mnist,
  },
  {
    name: 'grouped dilated 5x5 convs, max-pool stem, SE, GELU/PReLU/ReLU, a conv without norm',
    file: 'design.arch.yaml',
    size: 16,
    normalization: KNOWN_NORMALIZATIONS.cifar10,
    text: `version: 1
name: design
num_classes: 10
stem: { width: 8, kernel: 3, stride: 1, max_pool: true }
block:
  norms: [batch, none, batch]
  activations: [gelu, prelu, relu]
  kernel: 5
  dilation: 2
  se: { ratio: 0.25, activation: relu }
stages:
  - { depth: 1, width: 16, stride: 1, bottleneck: 0.5, groups: 2 }
  - { depth: 1, width: 24, stride: 2, bottleneck: 1, groups: 4 }
`,
  },
  {
    name: 'pre-activation blocks (standalone BN), PSiLU/PSSiLU/ELU, SiLU in SE, patchify stem',
    file: 'preact.arch.yaml',
    size: 16,
    text: `version: 1
name: preact
num_classes: 10
stem: { width: 8, patch: 2, activation: mish }
block:
  order: norm-act-conv
  norms: [batch, batch, batch]
  activations: [pssilu, psilu, elu]
  se: { ratio: 0.25, activation: silu }
stages:
  - { depth: 1, width: 16, stride: 2, bottleneck: 0.5, groups: 1 }
  - { depth: 1, width: 16, stride: 1, bottleneck: 0.5, groups: 2 }
`,
  },
  {
    name: 'layer and instance norms, hardswish/leaky-relu/relu6/tanh/sigmoid/softplus, biased convs',
    file: 'norms.arch.yaml',
    size: 12,
    text: `version: 1
name: norms
num_classes: 10
stem: { width: 8, kernel: 3, stride: 1, norm: layer, activation: relu6 }
block:
  norms: [instance, layer, batch]
  activations: [hardswish, leaky-relu, tanh]
  bias: true
  se: { ratio: 0.5, activation: softplus }
  shortcut_norm: none
  shortcut_bias: true
stages:
  - { depth: 1, width: 16, stride: 2, bottleneck: 1, groups: 1 }
  - { depth: 1, width: 16, stride: 1, bottleneck: 0.5, groups: 1, kernel: 1 }
`,
  },
  {
    name: 'PyTorch Sequential: padded max and average pools, flatten of a 2x2 map, per-channel PReLU, BatchNorm1d',
    file: 'tiny.py',
    size: 16,
    text: `import torch.nn as nn

class Tiny(nn.Module):
    def __init__(self, num_classes=10):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 8, 3, stride=1, padding=1, bias=True),
            nn.BatchNorm2d(8),
            nn.Sigmoid(),
            nn.MaxPool2d(3, stride=2, padding=1),
            nn.Conv2d(8, 8, 3, stride=2, padding=2, dilation=2, groups=2),
            nn.ReLU(),
            nn.AvgPool2d(3, stride=1, padding=1),
            nn.Conv2d(8, 16, 1),
            nn.PReLU(16),
            nn.AvgPool2d(2, stride=2),
        )
        self.flatten = nn.Flatten()
        self.fc1 = nn.Linear(16 * 2 * 2, 32, bias=False)
        self.bn = nn.BatchNorm1d(32)
        self.fc = nn.Linear(32, num_classes)

    def forward(self, x):
        return self.fc(self.bn(self.fc1(self.flatten(self.features(x)))))
`,
  },
];
