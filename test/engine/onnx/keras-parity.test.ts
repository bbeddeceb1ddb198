import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { loadBundledMnist } from '../../../src/engine/data/bundled-mnist';
import type { InputObjective } from '../../../src/engine/model/classifier';
import { kerasGraphOf, readKerasGraph } from '../../../src/engine/onnx/keras-graph';
import { onnxRuntimeProblem } from '../../../src/engine/onnx/load-onnxruntime';
import { OnnxClassifier } from '../../../src/engine/onnx/onnx-classifier';
import { LayersClassifier } from '../../../src/engine/tfjs/layers-classifier';
import { selectTfjsBackend } from '../../../src/engine/tfjs/select-backend';
import { UnsupportedModelError } from '../../../src/engine/tfjs/unsupported-model-error';
import { randomValues, relativeError } from './parity-support';

const ROOT = path.resolve(__dirname, '../../../..');
const CLASSES = 10;
/** float32 through two different operation orders (folded BN, NCHW convs): a few ulps of the output's scale. */
const TOLERANCE = 2e-5;

type Sym = tfl.SymbolicTensor;
const apply = (layer: tfl.layers.Layer, x: Sym | Sym[]): Sym => layer.apply(x) as Sym;

/**
 * Every layer class the emitter builds, in the shapes that matter: 'same' padding at stride 2 on
 * odd and even sizes (TensorFlow's asymmetric rule), dilation, depthwise with a multiplier,
 * separable, BN folded and standalone, SE gating through Reshape and a broadcast Multiply,
 * Concatenate, ZeroPadding and Cropping, 'same' max and average pools, Flatten of NHWC.
 */
function convNet(seed: number, forGradients: boolean): tfl.LayersModel {
  const dilation = forGradients ? 1 : 2;
  let s = seed;
  const init = (): ReturnType<typeof tfl.initializers.heNormal> => tfl.initializers.heNormal({ seed: s++ });
  const input = tfl.input({ shape: [15, 15, 2] });
  let x = apply(tfl.layers.rescaling({ scale: 2, offset: -1 }), input);
  x = apply(
    tfl.layers.conv2d({
      filters: 6,
      kernelSize: 3,
      strides: 2,
      padding: 'same',
      kernelInitializer: init(),
      biasInitializer: 'glorotNormal',
    }),
    x,
  );
  x = apply(tfl.layers.batchNormalization({ epsilon: 0.01 }), x);
  x = apply(tfl.layers.leakyReLU({ alpha: 0.2 }), x);
  x = apply(
    tfl.layers.zeroPadding2d({
      padding: [
        [1, 0],
        [0, 2],
      ],
    }),
    x,
  );
  x = apply(
    tfl.layers.cropping2D({
      cropping: [
        [0, 1],
        [1, 0],
      ],
    }),
    x,
  );
  let a = apply(
    tfl.layers.conv2d({
      filters: 6,
      kernelSize: 3,
      padding: 'same',
      dilationRate: dilation,
      useBias: false,
      kernelInitializer: init(),
    }),
    x,
  );
  a = apply(tfl.layers.batchNormalization({}), a);
  a = apply(tfl.layers.prelu({ sharedAxes: [1, 2], alphaInitializer: tfl.initializers.constant({ value: 0.25 }) }), a);
  let gate = apply(tfl.layers.globalAveragePooling2d({}), a);
  gate = apply(tfl.layers.dense({ units: 6, activation: 'hardSigmoid', kernelInitializer: init() }), gate);
  gate = apply(tfl.layers.reshape({ targetShape: [1, 1, 6] }), gate);
  a = apply(tfl.layers.multiply({}), [a, gate]);
  x = apply(tfl.layers.add({}), [a, x]);
  x = apply(tfl.layers.elu({}), x);
  const d = apply(
    tfl.layers.depthwiseConv2d({
      kernelSize: 3,
      depthMultiplier: 2,
      strides: 2,
      padding: 'same',
      depthwiseInitializer: init(),
      activation: 'selu',
    }),
    x,
  );
  const p = apply(tfl.layers.maxPooling2d({ poolSize: 3, strides: 2, padding: 'same' }), x);
  x = apply(tfl.layers.concatenate({}), [d, p]);
  x = apply(
    tfl.layers.separableConv2d({
      filters: 8,
      kernelSize: 3,
      padding: 'same',
      depthwiseInitializer: init(),
      pointwiseInitializer: init(),
    }),
    x,
  );
  x = apply(tfl.layers.batchNormalization({}), x);
  x = apply(tfl.layers.reLU({ maxValue: 2.5 }), x);
  x = apply(tfl.layers.averagePooling2d({ poolSize: 2, strides: 2, padding: forGradients ? 'valid' : 'same' }), x);
  x = apply(tfl.layers.activation({ activation: 'swish' }), x);
  x = apply(tfl.layers.flatten({}), x);
  x = apply(tfl.layers.dropout({ rate: 0.5 }), x);
  x = apply(tfl.layers.dense({ units: 12, activation: 'gelu', kernelInitializer: init() }), x);
  x = apply(tfl.layers.batchNormalization({}), x);
  x = apply(tfl.layers.activation({ activation: 'softsign' }), x);
  let out = apply(
    tfl.layers.dense({ units: CLASSES, activation: forGradients ? 'softmax' : 'linear', kernelInitializer: init() }),
    x,
  );
  if (!forGradients) out = apply(tfl.layers.thresholdedReLU({ theta: -0.5 }), out);
  return tfl.model({ inputs: input, outputs: out });
}

/** The other activations, on a smooth Sequential model (no kinks near the test points). */
function activationsNet(seed: number): tfl.LayersModel {
  let s = seed;
  const init = (): ReturnType<typeof tfl.initializers.glorotNormal> => tfl.initializers.glorotNormal({ seed: s++ });
  return tfl.sequential({
    layers: [
      tfl.layers.conv2d({
        inputShape: [8, 8, 1],
        filters: 4,
        kernelSize: 2,
        padding: 'valid',
        activation: 'tanh',
        kernelInitializer: init(),
      }),
      tfl.layers.activation({ activation: 'elu' }),
      tfl.layers.conv2d({
        filters: 4,
        kernelSize: 3,
        strides: 2,
        padding: 'valid',
        activation: 'mish',
        kernelInitializer: init(),
      }),
      tfl.layers.softmax({ axis: -1 }),
      tfl.layers.averagePooling2d({ poolSize: 2, strides: 1 }),
      tfl.layers.activation({ activation: 'softplus' }),
      tfl.layers.globalMaxPooling2d({}),
      tfl.layers.dense({ units: CLASSES, activation: 'sigmoid', kernelInitializer: init() }),
    ],
  });
}

/** BN statistics and biases away from their initial values, so folding and every parameter count. */
function perturb(model: tfl.LayersModel, seed: number): void {
  let k = seed;
  for (const layer of model.layers) {
    const weights = layer.getWeights();
    if (weights.length === 0) continue;
    layer.setWeights(
      layer.weights.map((w, i) => {
        const t = weights[i] as tf.Tensor;
        const noise = randomValues(t.size, ++k);
        const name = w.originalName;
        if (name.endsWith('moving_variance'))
          return tf.tensor(
            Float32Array.from(noise, (u) => 1 + 0.5 * u),
            t.shape,
          );
        if (name.endsWith('moving_mean'))
          return tf.tensor(
            Float32Array.from(noise, (u) => 0.2 * u),
            t.shape,
          );
        if (t.shape.length === 1 || name.endsWith('alpha'))
          return tf.add(
            t,
            tf.tensor(
              Float32Array.from(noise, (u) => 0.1 * u),
              t.shape,
            ),
          );
        return t;
      }),
    );
  }
}

/** Writes model.json and weights.bin as tfjs saves them. */
async function save(model: tfl.LayersModel, dir: string): Promise<string> {
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const { weightData, weightSpecs, modelTopology } = artifacts;
      assert.ok(weightData instanceof ArrayBuffer && weightSpecs && modelTopology);
      fs.writeFileSync(
        path.join(dir, 'model.json'),
        JSON.stringify({
          format: 'layers-model',
          modelTopology,
          weightsManifest: [{ paths: ['weights.bin'], weights: weightSpecs }],
        }),
      );
      fs.writeFileSync(path.join(dir, 'weights.bin'), Buffer.from(weightData));
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  return path.join(dir, 'model.json');
}

function objectives(n: number): InputObjective[] {
  const labels = Int32Array.from({ length: n }, (_, i) => (3 * i + 1) % CLASSES);
  const targets = Int32Array.from({ length: n }, (_, i) => (3 * i + 5) % CLASSES);
  const noise = randomValues(n * CLASSES, 99);
  const reference = new Float32Array(n * CLASSES);
  for (let i = 0; i < n; i++) {
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

describe('a TF.js model.json on onnxruntime against tfjs on the cpu back end', { skip: problem ?? false }, () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rl-keras-'));
  before(async () => {
    await selectTfjsBackend('cpu');
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  const digits = (): { x: Float32Array; n: number } => {
    const test = loadBundledMnist(path.join(ROOT, 'dist-test', 'data', 'mnist-bundled')).test;
    const n = 8;
    return { x: test.images.slice(0, n * 28 * 28), n };
  };
  const cases: readonly {
    name: string;
    logitsOnly?: boolean;
    file: () => Promise<string>;
    input: (size: number, channels: number) => { x: Float32Array; n: number };
  }[] = [
    {
      name: 'examples/tfjs/mnist-small (trained on the bundled digits) on real digits',
      file: async () => path.join(ROOT, 'examples/tfjs/mnist-small/model.json'),
      input: digits,
    },
    {
      name: 'every supported layer class (functional, softmax output)',
      file: async () => {
        const model = convNet(7, true);
        perturb(model, 3);
        fs.mkdirSync(path.join(dir, 'conv'), { recursive: true });
        return save(model, path.join(dir, 'conv'));
      },
      input: (size, channels) => ({
        x: Float32Array.from(randomValues(4 * size * size * channels, 5), (v) => 0.5 + 0.5 * v),
        n: 4,
      }),
    },
    {
      // tfjs has no gradient for a dilated conv nor for ThresholdedReLU, and its gradient of a
      // 'same' average pool is wrong at the edge (it divides by the whole window): logits only.
      name: "the same with a dilated conv, a 'same' average pool and ThresholdedReLU",
      logitsOnly: true,
      file: async () => {
        const model = convNet(8, false);
        perturb(model, 5);
        fs.mkdirSync(path.join(dir, 'dilated'), { recursive: true });
        return save(model, path.join(dir, 'dilated'));
      },
      input: (size, channels) => ({
        x: Float32Array.from(randomValues(4 * size * size * channels, 9), (v) => 0.5 + 0.5 * v),
        n: 4,
      }),
    },
    {
      name: 'the other activations (Sequential)',
      file: async () => {
        const model = activationsNet(11);
        perturb(model, 4);
        fs.mkdirSync(path.join(dir, 'act'), { recursive: true });
        return save(model, path.join(dir, 'act'));
      },
      input: (size, channels) => ({
        x: Float32Array.from(randomValues(3 * size * size * channels, 6), (v) => 0.5 + 0.5 * v),
        n: 3,
      }),
    },
  ];

  for (const c of cases) {
    describe(c.name, () => {
      let reference: LayersClassifier;
      let onnx: OnnxClassifier;
      let x: Float32Array;
      let n: number;

      before(async () => {
        const file = await c.file();
        reference = await LayersClassifier.load(file);
        onnx = OnnxClassifier.fromKerasGraph(await readKerasGraph(file, await reference.getState()), {
          inputShape: reference.inputShape,
          numClasses: reference.numClasses,
        });
        ({ x, n } = c.input(reference.inputShape.height, reference.inputShape.channels));
      });

      after(async () => {
        reference.dispose();
        await onnx.dispose();
      });

      it('has the same logits', async (t) => {
        const expected = await reference.logits(x, n);
        const actual = await onnx.logits(x, n);
        const error = relativeError(actual, expected);
        t.diagnostic(`relative error ${error.toExponential(2)}`);
        assert.ok(error < TOLERANCE, `logits off by ${error}`);
      });

      for (const objective of c.logitsOnly ? [] : objectives(8)) {
        it(`has the same ${objective.kind} loss, input gradient and logits`, async (t) => {
          const o = cut(objective, n);
          const expected = await reference.inputGradient(x, n, o);
          const actual = await onnx.inputGradient(x, n, o);
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

  it('has input gradients equal to central finite differences where tfjs has none or a wrong one', async () => {
    // Smooth: a dilated conv, a 'same' average pool whose edge windows hold fewer pixels, SiLU.
    const model = tfl.sequential({
      layers: [
        tfl.layers.conv2d({
          inputShape: [9, 9, 2],
          filters: 4,
          kernelSize: 3,
          dilationRate: 2,
          padding: 'same',
          activation: 'swish',
          kernelInitializer: tfl.initializers.glorotNormal({ seed: 1 }),
        }),
        tfl.layers.averagePooling2d({ poolSize: 2, strides: 2, padding: 'same' }),
        tfl.layers.flatten({}),
        tfl.layers.dense({ units: CLASSES, kernelInitializer: tfl.initializers.glorotNormal({ seed: 2 }) }),
      ],
    });
    const onnx = OnnxClassifier.fromKerasGraph(kerasGraphOf(model), {
      inputShape: { height: 9, width: 9, channels: 2 },
      numClasses: CLASSES,
    });
    model.dispose();
    try {
      const n = 2;
      const x = Float32Array.from(randomValues(n * 162, 4), (v) => 0.5 + 0.5 * v);
      const objective: InputObjective = { kind: 'ce', labels: Int32Array.of(3, 7) };
      const { grad } = await onnx.inputGradient(x, n, objective);
      const direction = randomValues(x.length, 8);
      const h = 1e-2;
      const lossAt = async (sign: number): Promise<number> => {
        const { loss } = await onnx.inputGradient(
          Float32Array.from(x, (v, i) => v + sign * h * (direction[i] as number)),
          n,
          objective,
        );
        return loss.reduce((a, b) => a + b, 0);
      };
      const numeric = ((await lossAt(1)) - (await lossAt(-1))) / (2 * h);
      const analytic = grad.reduce((a, g, i) => a + g * (direction[i] as number), 0);
      assert.ok(
        Math.abs(numeric - analytic) <= 1e-3 * Math.max(1, Math.abs(analytic)),
        `directional derivative ${analytic} against ${numeric} by differences`,
      );
    } finally {
      await onnx.dispose();
    }
  });

  it('refuses a layer it cannot build, naming its class and the tfjs back end', async () => {
    const model = tfl.sequential({
      layers: [
        tfl.layers.upSampling2d({ inputShape: [4, 4, 1], size: [2, 2] }),
        tfl.layers.flatten({}),
        tfl.layers.dense({ units: CLASSES }),
      ],
    });
    fs.mkdirSync(path.join(dir, 'up'), { recursive: true });
    const file = await save(model, path.join(dir, 'up'));
    const loaded = await LayersClassifier.load(file);
    try {
      const graph = await readKerasGraph(file, await loaded.getState());
      assert.throws(
        () => OnnxClassifier.fromKerasGraph(graph, { inputShape: loaded.inputShape, numClasses: CLASSES }),
        (e: unknown) =>
          e instanceof UnsupportedModelError &&
          /UpSampling2D/.test(e.message) &&
          /tfjs back end runs it/.test(e.message),
      );
    } finally {
      loaded.dispose();
    }
  });
});

/** The first n rows of an objective's per-sample arrays. */
function cut(o: InputObjective, n: number): InputObjective {
  switch (o.kind) {
    case 'ce':
    case 'dlr':
      return { kind: o.kind, labels: o.labels.slice(0, n) };
    case 'dlr-targeted':
    case 'margin':
      return { kind: o.kind, labels: o.labels.slice(0, n), targets: o.targets.slice(0, n) };
    case 'kl':
      return { kind: 'kl', reference: o.reference.slice(0, n * CLASSES) };
  }
}
