import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Network } from '../../../src/core';
import type { Classifier, InputObjective } from '../../../src/engine/model/classifier';
import { OnnxClassifier } from '../../../src/engine/onnx/onnx-classifier';
import { onnxRuntimeProblem } from '../../../src/engine/onnx/load-onnxruntime';
import { KNOWN_NORMALIZATIONS, type InputNormalization } from '../../../src/engine/tfjs/normalize-input';
import { selectTfjsBackend } from '../../../src/engine/tfjs/select-backend';
import type { TfjsClassifier } from '../../../src/engine/tfjs/tfjs-classifier';
import { UnsupportedModelError } from '../../../src/engine/tfjs/unsupported-model-error';
import { networkFromText, perturbedTfjsModel, randomValues, relativeError } from './parity-support';

const ROOT = path.resolve(__dirname, '../../../..');
const CLASSES = 10;
const N = 3;
/** float32 through two different operation orders (folded BN, NCHW convs): a few ulps of the output's scale. */
const TOLERANCE = 2e-5;

/** Every op of the emitter: BN folded and standalone, strided/grouped/dilated convs, pools, norms, activations, SE. */
const CASES: readonly { name: string; file: string; text: string; size: number; normalization?: InputNormalization }[] =
  [
    {
      name: 'MNIST-small (SiLU, folded BN, strided and 1x1 projection convs)',
      file: 'mnist-small.arch.yaml',
      text: read('examples/mnist-small.arch.yaml'),
      size: 28,
      normalization: KNOWN_NORMALIZATIONS.mnist,
    },
    {
      name: 'grouped dilated 5x5 convs, max-pool stem, SE, GELU/PReLU/ReLU, a conv without norm',
      file: 'design.arch.yaml',
      size: 32,
      normalization: KNOWN_NORMALIZATIONS.cifar10,
      text: `version: 1
name: design
num_classes: 10
stem: { width: 16, kernel: 3, stride: 1, max_pool: true }
block:
  norms: [batch, none, batch]
  activations: [gelu, prelu, relu]
  kernel: 5
  dilation: 2
  se: { ratio: 0.25, activation: relu }
stages:
  - { depth: 2, width: 32, stride: 1, bottleneck: 0.5, groups: 2 }
  - { depth: 1, width: 48, stride: 2, bottleneck: 1, groups: 4 }
`,
    },
    {
      name: 'pre-activation blocks (standalone BN), PSiLU/PSSiLU/ELU, SiLU in SE, patchify stem',
      file: 'preact.arch.yaml',
      size: 32,
      text: `version: 1
name: preact
num_classes: 10
stem: { width: 16, patch: 2, activation: mish }
block:
  order: norm-act-conv
  norms: [batch, batch, batch]
  activations: [pssilu, psilu, elu]
  se: { ratio: 0.25, activation: silu }
stages:
  - { depth: 1, width: 32, stride: 2, bottleneck: 0.5, groups: 1 }
  - { depth: 1, width: 32, stride: 1, bottleneck: 0.5, groups: 2 }
`,
    },
    {
      name: 'layer and instance norms, hardswish/leaky-relu/relu6/tanh/sigmoid/softplus, biased convs',
      file: 'norms.arch.yaml',
      size: 16,
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
      name: 'PyTorch Sequential: padded max and average pools, flatten of a 2x2 map, per-channel PReLU',
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
        self.fc = nn.Linear(16 * 2 * 2, num_classes)

    def forward(self, x):
        return self.fc(self.flatten(self.features(x)))
`,
    },
  ];

function read(file: string): string {
  return fs.readFileSync(path.join(ROOT, file), 'utf8');
}

function objectives(): InputObjective[] {
  const labels = Int32Array.from({ length: N }, (_, i) => (3 * i + 1) % CLASSES);
  const targets = Int32Array.from({ length: N }, (_, i) => (3 * i + 5) % CLASSES);
  const reference = new Float32Array(N * CLASSES);
  const noise = randomValues(N * CLASSES, 99);
  for (let i = 0; i < N; i++) {
    let sum = 0;
    for (let c = 0; c < CLASSES; c++)
      sum += reference[i * CLASSES + c] = Math.exp(2 * (noise[i * CLASSES + c] as number));
    for (let c = 0; c < CLASSES; c++) reference[i * CLASSES + c] = (reference[i * CLASSES + c] as number) / sum;
  }
  return [
    { kind: 'ce', labels },
    { kind: 'dlr', labels },
    { kind: 'dlr-targeted', labels, targets },
    { kind: 'margin', labels, targets },
    { kind: 'kl', reference },
  ];
}

const problem = onnxRuntimeProblem();

describe('onnxruntime classifier against tfjs on the cpu back end', { skip: problem ?? false }, () => {
  before(async () => {
    await selectTfjsBackend('cpu');
  });

  for (const [index, c] of CASES.entries()) {
    describe(c.name, () => {
      let network: Network;
      let reference: TfjsClassifier;
      let onnx: OnnxClassifier;
      let x: Float32Array;

      before(async () => {
        network = await networkFromText(c.file, c.text, CLASSES);
        const built = await perturbedTfjsModel(network, c.size, CLASSES, c.normalization, 10 + index);
        reference = built.model;
        onnx = OnnxClassifier.create(network, built.state, {
          inputShape: reference.inputShape,
          numClasses: CLASSES,
          ...(c.normalization ? { normalization: c.normalization } : {}),
        });
        x = Float32Array.from(
          randomValues(N * c.size * c.size * network.inputChannels, 7 + index),
          (v) => 0.5 + 0.5 * v,
        );
      });

      after(async () => {
        reference.dispose();
        await onnx.dispose();
      });

      it('has the same logits', async (t) => {
        const expected = await reference.logits(x, N);
        const actual = await onnx.logits(x, N);
        t.diagnostic(`relative error ${relativeError(actual, expected).toExponential(2)}`);
        assert.ok(relativeError(actual, expected) < TOLERANCE, `logits off by ${relativeError(actual, expected)}`);
      });

      for (const objective of objectives()) {
        it(`has the same ${objective.kind} loss, input gradient and logits`, async (t) => {
          const expected = await reference.inputGradient(x, N, objective);
          const actual = await onnx.inputGradient(x, N, objective);
          for (const part of ['loss', 'grad', 'logits'] as const) {
            const error = relativeError(actual[part], expected[part]);
            t.diagnostic(`${part}: relative error ${error.toExponential(2)}`);
            assert.ok(error < TOLERANCE, `${part} off by ${error}`);
          }
          assert.ok(
            actual.grad.some((v) => v !== 0),
            'the gradient is all zeros',
          );
        });
      }
    });
  }

  // Smooth models (SiLU; PSiLU, PSSiLU, ELU, Mish): ReLU kinks and max-pool switches would blur the check.
  for (const index of [0, 2]) {
    const c = CASES[index]!;
    it(`input gradients agree with central finite differences (${c.file})`, async () => {
      const network = await networkFromText(c.file, c.text, CLASSES);
      const { model, state } = await perturbedTfjsModel(network, c.size, CLASSES, c.normalization, 5);
      model.dispose();
      const onnx = OnnxClassifier.create(network, state, {
        inputShape: model.inputShape,
        numClasses: CLASSES,
        ...(c.normalization ? { normalization: c.normalization } : {}),
      });
      try {
        const x = Float32Array.from(randomValues(N * c.size * c.size * network.inputChannels, 3), (v) => 0.5 + 0.5 * v);
        for (const objective of objectives()) await checkFiniteDifferences(onnx, x, objective);
      } finally {
        await onnx.dispose();
      }
    });
  }

  it('runs a smaller batch on the graph of a larger one, with the same results as tfjs', async () => {
    const c = CASES[2]!;
    const network = await networkFromText(c.file, c.text, CLASSES);
    const { model, state } = await perturbedTfjsModel(network, c.size, CLASSES, c.normalization, 8);
    const onnx = OnnxClassifier.create(network, state, { inputShape: model.inputShape, numClasses: CLASSES });
    try {
      const size = c.size * c.size * network.inputChannels;
      const x = Float32Array.from(randomValues(N * size, 4), (v) => 0.5 + 0.5 * v);
      const [first] = objectives();
      await onnx.inputGradient(x, N, first!);
      await onnx.logits(x, N);
      const small = x.subarray(0, 2 * size);
      const objective = { kind: 'ce' as const, labels: Int32Array.of(4, 7) };
      const actual = await onnx.inputGradient(small, 2, objective);
      const expected = await model.inputGradient(small, 2, objective);
      assert.equal(actual.grad.length, 2 * size);
      for (const part of ['loss', 'grad', 'logits'] as const)
        assert.ok(
          relativeError(actual[part], expected[part]) < TOLERANCE,
          `${part} off by ${relativeError(actual[part], expected[part])}`,
        );
      assert.ok(relativeError(await onnx.logits(small, 2), await model.logits(small, 2)) < TOLERANCE);
      assert.equal(onnx.compiledGraphs, 2, 'a batch of 2 compiled its own graph instead of reusing the batch of 3');
    } finally {
      model.dispose();
      await onnx.dispose();
    }
  });

  it('refuses dense connections with UnsupportedModelError', async () => {
    const file = path.join(ROOT, 'test/fixtures/robarch-hydra/variants/five-stage-dense.yaml');
    const network = await networkFromText(file, fs.readFileSync(file, 'utf8'), CLASSES);
    assert.throws(
      () =>
        OnnxClassifier.create(
          network,
          { tensors: new Map() },
          { inputShape: { height: 32, width: 32, channels: 3 }, numClasses: CLASSES },
        ),
      (e: unknown) => e instanceof UnsupportedModelError && /dense connections/.test(e.message),
    );
  });

  it('refuses a checkpoint whose tensors do not fit the network', async () => {
    const network = await networkFromText(CASES[0]!.file, CASES[0]!.text, CLASSES);
    assert.throws(
      () =>
        OnnxClassifier.create(
          network,
          { tensors: new Map() },
          { inputShape: { height: 28, width: 28, channels: 1 }, numClasses: CLASSES },
        ),
      /has no tensor/,
    );
  });
});

/**
 * Along the unit gradient direction, the central difference of the summed loss must equal the
 * gradient's norm; a step of norm 0.01 keeps the DLR ranks fixed and float32 noise near 0.1%.
 */
async function checkFiniteDifferences(model: Classifier, x: Float32Array, objective: InputObjective): Promise<void> {
  const base = await model.inputGradient(x, N, objective);
  const norm = Math.sqrt(base.grad.reduce((s, g) => s + g * g, 0));
  assert.ok(norm > 0, `${objective.kind}: zero gradient`);
  const h = 1e-2;
  const sumAt = async (sign: number): Promise<number> => {
    const moved = Float32Array.from(x, (v, i) => v + (sign * h * (base.grad[i] as number)) / norm);
    return (await model.inputGradient(moved, N, objective)).loss.reduce((s, v) => s + v, 0);
  };
  const numeric = ((await sumAt(1)) - (await sumAt(-1))) / (2 * h);
  assert.ok(Math.abs(numeric - norm) <= 0.02 * norm, `${objective.kind}: numeric ${numeric}, analytic ${norm}`);
}
