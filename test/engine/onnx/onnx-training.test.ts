import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import type { ModelState, SgdHyper, TrainObjective } from '../../../src/engine/model/classifier';
import { onnxRuntimeProblem } from '../../../src/engine/onnx/load-onnxruntime';
import { OnnxTrainableClassifier } from '../../../src/engine/onnx/onnx-trainable-classifier';
import { setWeightGradientFormulation } from '../../../src/engine/onnx/param-ops';
import { KNOWN_NORMALIZATIONS, type InputNormalization } from '../../../src/engine/tfjs/normalize-input';
import { selectTfjsBackend } from '../../../src/engine/tfjs/select-backend';
import { networkFromText, perturbedTfjsModel, randomValues, relativeError } from './parity-support';

const ROOT = path.resolve(__dirname, '../../../..');
const CLASSES = 10;
const N = 4;
/** float32 through different operation orders, after two SGD steps. */
const TOLERANCE = 1e-5;
/** Momentum buffers are raw gradients: summation order shows more there. */
const GRADIENT_TOLERANCE = 1e-4;
/**
 * The scale below which differences are measured absolutely: a bias right before a BatchNorm has
 * an exact gradient of 0, and both back ends return float32 cancellation noise there.
 */
const WEIGHT_FLOOR = 1;
const GRADIENT_FLOOR = 1e-2;

/** max |a - e| / max(max |e|, floor). */
function errorAbove(actual: Float32Array, expected: Float32Array, floor: number): number {
  const scale = expected.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  return relativeError(actual, expected) * Math.max(scale, 1e-30) / Math.max(scale, floor);
}

/** Strided/grouped/dilated convs, BN (folded at evaluation, batch statistics in training), every learned activation, SE, pools, linear, residual adds. */
const CASES: readonly { name: string; file: string; text: string; size: number; normalization?: InputNormalization }[] = [
  { name: 'MNIST-small (SiLU, BN, strided and 1x1 projection convs)', file: 'mnist-small.arch.yaml', text: fs.readFileSync(path.join(ROOT, 'examples/mnist-small.arch.yaml'), 'utf8'), size: 28, normalization: KNOWN_NORMALIZATIONS.mnist },
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

interface Setting {
  readonly name: string;
  readonly kind: 'ce' | 'trades';
  readonly hyper: SgdHyper;
}

const SETTINGS: readonly Setting[] = [
  { name: 'CE, momentum 0.9, weight decay', kind: 'ce', hyper: { learningRate: 0.05, momentum: 0.9, weightDecay: 5e-4, nesterov: false } },
  { name: 'TRADES (beta 6), Nesterov, weight decay', kind: 'trades', hyper: { learningRate: 0.05, momentum: 0.9, weightDecay: 5e-4, nesterov: true } },
  { name: 'CE, plain SGD', kind: 'ce', hyper: { learningRate: 0.1, momentum: 0, weightDecay: 0, nesterov: false } },
];

function objective(kind: 'ce' | 'trades', size: number, channels: number, step: number): TrainObjective {
  const values = N * size * size * channels;
  const x = Float32Array.from(randomValues(values, 100 + step), (v) => 0.5 + 0.5 * v);
  const labels = Int32Array.from({ length: N }, (_, i) => (3 * i + step) % CLASSES);
  if (kind === 'ce') return { kind, x, labels };
  const xAdv = Float32Array.from(randomValues(values, 200 + step), (v, i) => Math.min(1, Math.max(0, (x[i] as number) + 0.03 * v)));
  return { kind, x, xAdv, labels, beta: 6 };
}

function compareStates(actual: ModelState, expected: ModelState, where: string): void {
  assert.deepEqual([...actual.tensors.keys()].sort(), [...expected.tensors.keys()].sort(), `${where}: state names`);
  for (const [name, e] of expected.tensors) {
    const a = actual.tensors.get(name);
    assert.ok(a, name);
    assert.deepEqual(a.shape, e.shape, `${where}: ${name} shape`);
    const gradient = name.startsWith('momentum:');
    const tolerance = gradient ? GRADIENT_TOLERANCE : TOLERANCE;
    const error = errorAbove(a.data, e.data, gradient ? GRADIENT_FLOOR : WEIGHT_FLOOR);
    assert.ok(error <= tolerance, `${where}: ${name} differs by ${error.toExponential(2)} (relative)`);
  }
}

const problem = onnxRuntimeProblem();

describe('onnxruntime training step against tfjs on the cpu back end', { skip: problem ?? false }, () => {
  before(async () => {
    await selectTfjsBackend('cpu');
  });

  // 'auto' mixes the two weight-gradient formulations by shape; each one alone must be right too.
  const runs: { c: (typeof CASES)[number]; s: Setting; formulation: 'auto' | 'conv' | 'gemm' }[] = [
    ...CASES.flatMap((c) => SETTINGS.map((s) => ({ c, s, formulation: 'auto' as const }))),
    ...(['conv', 'gemm'] as const).flatMap((formulation) => [CASES[1], CASES[4]].map((c) => ({ c: c as (typeof CASES)[number], s: SETTINGS[0] as Setting, formulation }))),
  ];
  for (const { c, s, formulation } of runs) {
    const label = formulation === 'auto' ? '' : ` (weight gradients by ${formulation} only)`;
    it(`${c.name}: ${s.name}${label}: two steps give tfjs's weights, BN statistics, momentum, loss and logits`, async (t) => {
      setWeightGradientFormulation(formulation);
      t.after(() => setWeightGradientFormulation('auto'));
      const network = await networkFromText(c.file, c.text, CLASSES);
      const { model: reference, state } = await perturbedTfjsModel(network, c.size, CLASSES, c.normalization, 5);
      const shape = { height: c.size, width: c.size, channels: network.inputChannels };
      const model = await OnnxTrainableClassifier.create(network, state, { inputShape: shape, numClasses: CLASSES, threads: 1, ...(c.normalization ? { normalization: c.normalization } : {}) });
      try {
        assert.equal(model.paramCount(), reference.paramCount());
        for (let step = 0; step < 2; step++) {
          const o = objective(s.kind, c.size, network.inputChannels, step);
          const expected = await reference.trainStep(o, N, s.hyper);
          const actual = await model.trainStep(o, N, s.hyper);
          assert.ok(Math.abs(actual.loss - expected.loss) <= TOLERANCE * Math.max(1, Math.abs(expected.loss)), `step ${step}: loss ${actual.loss} vs ${expected.loss}`);
          assert.ok(relativeError(actual.logits, expected.logits) <= TOLERANCE, `step ${step}: logits differ by ${relativeError(actual.logits, expected.logits)}`);
          compareStates(await model.getState(), await reference.getState(), `after step ${step + 1}`);
        }
        // The attacks of the inner maximisation see the new weights, in evaluation mode.
        const o = objective('ce', c.size, network.inputChannels, 7);
        const eg = await reference.inputGradient(o.x, N, { kind: 'ce', labels: o.labels });
        const ag = await model.inputGradient(o.x, N, { kind: 'ce', labels: o.labels });
        assert.ok(relativeError(ag.logits, eg.logits) <= TOLERANCE, `eval logits differ by ${relativeError(ag.logits, eg.logits)}`);
        assert.ok(relativeError(ag.grad, eg.grad) <= GRADIENT_TOLERANCE, `input gradients differ by ${relativeError(ag.grad, eg.grad)}`);
        assert.ok(relativeError(await model.logits(o.x, N), eg.logits) <= TOLERANCE);
      } finally {
        model.dispose();
        reference.dispose();
      }
    });
  }
});
