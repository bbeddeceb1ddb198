import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import type { ModelState, SgdHyper, TrainObjective } from '../../../src/engine/model/classifier';
import { onnxRuntimeProblem } from '../../../src/engine/onnx/load-onnxruntime';
import { OnnxTrainableClassifier } from '../../../src/engine/onnx/onnx-trainable-classifier';
import { setWeightGradientFormulation } from '../../../src/engine/onnx/conv-weight-gradient';
import { selectTfjsBackend } from '../../../src/engine/tfjs/select-backend';
import { TRAINING_CASES as CASES } from './design-cases';
import { networkFromText, perturbedTfjsModel, randomValues, relativeError } from './parity-support';

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
  return (relativeError(actual, expected) * Math.max(scale, 1e-30)) / Math.max(scale, floor);
}

interface Setting {
  readonly name: string;
  readonly kind: 'ce' | 'trades';
  readonly hyper: SgdHyper;
}

const SETTINGS: readonly Setting[] = [
  {
    name: 'CE, momentum 0.9, weight decay',
    kind: 'ce',
    hyper: { learningRate: 0.05, momentum: 0.9, weightDecay: 5e-4, nesterov: false },
  },
  {
    name: 'TRADES (beta 6), Nesterov, weight decay',
    kind: 'trades',
    hyper: { learningRate: 0.05, momentum: 0.9, weightDecay: 5e-4, nesterov: true },
  },
  { name: 'CE, plain SGD', kind: 'ce', hyper: { learningRate: 0.1, momentum: 0, weightDecay: 0, nesterov: false } },
];

function objective(kind: 'ce' | 'trades', size: number, channels: number, step: number): TrainObjective {
  const values = N * size * size * channels;
  const x = Float32Array.from(randomValues(values, 100 + step), (v) => 0.5 + 0.5 * v);
  const labels = Int32Array.from({ length: N }, (_, i) => (3 * i + step) % CLASSES);
  if (kind === 'ce') return { kind, x, labels };
  const xAdv = Float32Array.from(randomValues(values, 200 + step), (v, i) =>
    Math.min(1, Math.max(0, (x[i] as number) + 0.03 * v)),
  );
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
  const runs: { c: (typeof CASES)[number]; s: Setting; formulation: 'auto' | 'conv' | 'gemm' | 'batched' }[] = [
    ...CASES.flatMap((c) => SETTINGS.map((s) => ({ c, s, formulation: 'auto' as const }))),
    ...(['conv', 'gemm', 'batched'] as const).flatMap((formulation) =>
      [CASES[1], CASES[4]].map((c) => ({ c: c as (typeof CASES)[number], s: SETTINGS[0] as Setting, formulation })),
    ),
  ];
  for (const { c, s, formulation } of runs) {
    const label = formulation === 'auto' ? '' : ` (weight gradients by ${formulation} only)`;
    it(
      `${c.name}: ${s.name}${label}: two steps give tfjs's weights, BN statistics, ` + `momentum, loss and logits`,
      async (t) => {
        setWeightGradientFormulation(formulation);
        t.after(() => setWeightGradientFormulation('auto'));
        const network = await networkFromText(c.file, c.text, CLASSES);
        const { model: reference, state } = await perturbedTfjsModel(network, c.size, CLASSES, c.normalization, 5);
        const shape = { height: c.size, width: c.size, channels: network.inputChannels };
        const model = await OnnxTrainableClassifier.create(network, state, {
          inputShape: shape,
          numClasses: CLASSES,
          threads: 1,
          ...(c.normalization ? { normalization: c.normalization } : {}),
        });
        try {
          assert.equal(model.paramCount(), reference.paramCount());
          for (let step = 0; step < 2; step++) {
            const o = objective(s.kind, c.size, network.inputChannels, step);
            const expected = await reference.trainStep(o, N, s.hyper);
            const actual = await model.trainStep(o, N, s.hyper);
            assert.ok(
              Math.abs(actual.loss - expected.loss) <= TOLERANCE * Math.max(1, Math.abs(expected.loss)),
              `step ${step}: loss ${actual.loss} vs ${expected.loss}`,
            );
            assert.ok(
              relativeError(actual.logits, expected.logits) <= TOLERANCE,
              `step ${step}: logits differ by ${relativeError(actual.logits, expected.logits)}`,
            );
            compareStates(await model.getState(), await reference.getState(), `after step ${step + 1}`);
          }
          // The attacks of the inner maximisation see the new weights, in evaluation mode.
          const o = objective('ce', c.size, network.inputChannels, 7);
          const eg = await reference.inputGradient(o.x, N, { kind: 'ce', labels: o.labels });
          const ag = await model.inputGradient(o.x, N, { kind: 'ce', labels: o.labels });
          assert.ok(
            relativeError(ag.logits, eg.logits) <= TOLERANCE,
            `eval logits differ by ${relativeError(ag.logits, eg.logits)}`,
          );
          assert.ok(
            relativeError(ag.grad, eg.grad) <= GRADIENT_TOLERANCE,
            `input gradients differ by ${relativeError(ag.grad, eg.grad)}`,
          );
          assert.ok(relativeError(await model.logits(o.x, N), eg.logits) <= TOLERANCE);
        } finally {
          model.dispose();
          reference.dispose();
        }
      },
    );
  }
});
