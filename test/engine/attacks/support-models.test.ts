import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Classifier, InputObjective } from '../../../src/engine/model/classifier';
import { imageSize } from '../../../src/engine/model/classifier';
import { Random } from '../../../src/engine/util/random';
import { LinearClassifier, randomLinearClassifier } from '../support/linear-classifier';
import { randomMlpClassifier } from '../support/mlp-classifier';

const SHAPE = { height: 3, width: 3, channels: 2 };
const CLASSES = 6;
const N = 3;

function randomImages(n: number, seed: number): Float32Array {
  const random = new Random(seed);
  return Float32Array.from({ length: n * imageSize(SHAPE) }, () => random.uniform(0.2, 0.8));
}

function softmaxRows(logits: Float32Array, n: number): Float32Array {
  const out = new Float32Array(logits.length);
  for (let i = 0; i < n; i++) {
    const z = Array.from(logits.subarray(i * CLASSES, (i + 1) * CLASSES));
    const max = Math.max(...z);
    const e = z.map((v) => Math.exp(v - max));
    const sum = e.reduce((a, b) => a + b, 0);
    out.set(
      e.map((v) => v / sum),
      i * CLASSES,
    );
  }
  return out;
}

function objectives(): InputObjective[] {
  const labels = Int32Array.from([0, 3, 5]);
  const targets = Int32Array.from([2, 1, 4]);
  const random = new Random(99);
  const reference = softmaxRows(
    Float32Array.from({ length: N * CLASSES }, () => random.normal()),
    N,
  );
  return [
    { kind: 'ce', labels },
    { kind: 'dlr', labels },
    { kind: 'dlr-targeted', labels, targets },
    { kind: 'margin', labels, targets },
    { kind: 'kl', reference },
  ];
}

/**
 * Every coordinate's central difference (over the step float32 actually represents) against the
 * analytic gradient.
 */
async function checkGradient(model: Classifier, objective: InputObjective, x: Float32Array): Promise<void> {
  const { grad } = await model.inputGradient(x, N, objective);
  const h = 1e-3;
  let worst = 0;
  for (let k = 0; k < x.length; k++) {
    const plus = Float32Array.from(x);
    const minus = Float32Array.from(x);
    plus[k] = (x[k] ?? 0) + h;
    minus[k] = (x[k] ?? 0) - h;
    const up = (await model.inputGradient(plus, N, objective)).loss;
    const down = (await model.inputGradient(minus, N, objective)).loss;
    const i = Math.floor(k / imageSize(SHAPE));
    const fd = ((up[i] ?? 0) - (down[i] ?? 0)) / ((plus[k] ?? 0) - (minus[k] ?? 0));
    const g = grad[k] ?? 0;
    worst = Math.max(worst, Math.abs(fd - g) / (1e-2 + Math.abs(g)));
  }
  assert.ok(worst < 2e-2, `${objective.kind}: worst relative gradient error ${worst}`);
}

describe('test models for the attacks', () => {
  const x = randomImages(N, 5);
  const models: [string, Classifier][] = [
    ['linear', randomLinearClassifier(SHAPE, CLASSES, 11, 3)],
    ['2-layer ReLU MLP', randomMlpClassifier(SHAPE, CLASSES, 16, 12)],
  ];

  for (const [name, model] of models) {
    for (const objective of objectives()) {
      it(`${name}: the ${objective.kind} gradient matches central finite differences`, async () => {
        await checkGradient(model, objective, x);
      });
    }

    it(`${name}: objective values follow their definitions from the logits`, async () => {
      const [ce, dlr, dlrT, margin, kl] = objectives();
      const logits = await model.logits(x, N);
      const z = (i: number): number[] => Array.from(logits.subarray(i * CLASSES, (i + 1) * CLASSES));
      const values = async (o: InputObjective | undefined): Promise<Float32Array> => {
        assert.ok(o);
        const result = await model.inputGradient(x, N, o);
        assert.deepEqual(result.logits, logits);
        return result.loss;
      };
      const [ceV, dlrV, dlrTV, marginV, klV] = [
        await values(ce),
        await values(dlr),
        await values(dlrT),
        await values(margin),
        await values(kl),
      ];
      const labels = [0, 3, 5];
      const targets = [2, 1, 4];
      for (let i = 0; i < N; i++) {
        const zi = z(i);
        const y = labels[i] ?? 0;
        const t = targets[i] ?? 0;
        const zy = zi[y] ?? 0;
        const zt = zi[t] ?? 0;
        const sorted = [...zi].sort((a, b) => b - a);
        const [s1, , s3, s4] = sorted as [number, number, number, number];
        const bestOther = Math.max(...zi.filter((_, k) => k !== y));
        const lse = Math.log(zi.reduce((a, v) => a + Math.exp(v), 0));
        const close = (got: number | undefined, want: number, what: string): void =>
          assert.ok(
            Math.abs((got ?? NaN) - want) <= 1e-5 * Math.max(1, Math.abs(want)),
            `${what}[${i}]: ${got} vs ${want}`,
          );
        close(ceV[i], lse - zy, 'ce');
        // Ascending the dlr objective must lower z_y relative to the best other logit.
        close(dlrV[i], -(zy - bestOther) / (s1 - s3 + 1e-12), 'dlr');
        close(dlrTV[i], -(zy - zt) / (s1 - 0.5 * (s3 + s4) + 1e-12), 'dlr-targeted');
        close(marginV[i], zt - zy, 'margin');
      }
      // KL of a distribution with itself is zero, and positive otherwise.
      const self = await model.inputGradient(x, N, { kind: 'kl', reference: softmaxRows(logits, N) });
      for (const v of self.loss) assert.ok(Math.abs(v) < 1e-5);
      for (const v of klV) assert.ok(v > 0);
    });
  }

  it('the linear model computes W x + b with the weights it was given', async () => {
    const shape = { height: 1, width: 2, channels: 1 };
    const model = new LinearClassifier(shape, 2, [1, 2, -3, 4], [0.5, -0.5]);
    assert.deepEqual(Array.from(await model.logits(Float32Array.from([0.25, 0.5]), 1)), [
      0.5 + 0.25 + 1,
      -0.5 - 0.75 + 2,
    ]);
    const { grad } = await model.inputGradient(Float32Array.from([0.25, 0.5]), 1, {
      kind: 'margin',
      labels: Int32Array.of(0),
      targets: Int32Array.of(1),
    });
    assert.deepEqual(Array.from(grad), [-4, 2]);
    assert.throws(() => new LinearClassifier(shape, 2, [1, 2, 3], [0, 0]), RangeError);
  });

  it('a seed fixes the random models', async () => {
    const a = await randomMlpClassifier(SHAPE, CLASSES, 8, 3).logits(x, N);
    const b = await randomMlpClassifier(SHAPE, CLASSES, 8, 3).logits(x, N);
    const c = await randomMlpClassifier(SHAPE, CLASSES, 8, 4).logits(x, N);
    assert.deepEqual(a, b);
    assert.notDeepEqual(a, c);
  });
});
