// Writes examples/tfjs/mnist-small/{model.json,weights.bin}: a small Keras-style CNN (conv, BN,
// ReLU, a residual block with squeeze-and-excitation gating, max and average pooling, a
// depthwise branch joined by concatenation, dense head) trained briefly on the bundled MNIST
// training digits with tfjs-layers on the wasm back end with the engine's gradient kernels (one
// thread: deterministic), from fixed seeds. It is the real trained model.json the onnxruntime
// parity test and the eval comparison run on.
//
//   npm run example:mnist-small        (builds the bundled digits first, then this script)
//   node dist/make-tfjs-mnist-small.js [digits-dir] [epochs]   (from the repository root; the
//   bundle must sit in dist/, beside the wasm files the build copies there)
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { loadBundledMnist } from '../../src/engine/data/bundled-mnist';
import { shuffledOrder } from '../../src/engine/data/dataset';
import { selectTfjsBackend } from '../../src/engine/tfjs/select-backend';

const SEED = 20261125;
/** Run from the repository root. */
const OUT_DIR = path.resolve('examples', 'tfjs', 'mnist-small');

function buildModel(): tfl.LayersModel {
  let seed = SEED;
  const init = (): ReturnType<typeof tfl.initializers.heNormal> => tfl.initializers.heNormal({ seed: seed++ });
  const conv = (filters: number, strides: number, name: string, x: tfl.SymbolicTensor): tfl.SymbolicTensor =>
    tfl.layers
      .conv2d({ filters, kernelSize: 3, strides, padding: 'same', useBias: false, kernelInitializer: init(), name })
      .apply(x) as tfl.SymbolicTensor;
  const bn = (name: string, x: tfl.SymbolicTensor): tfl.SymbolicTensor =>
    tfl.layers.batchNormalization({ name }).apply(x) as tfl.SymbolicTensor;
  const relu = (name: string, x: tfl.SymbolicTensor): tfl.SymbolicTensor =>
    tfl.layers.activation({ activation: 'relu', name }).apply(x) as tfl.SymbolicTensor;

  const input = tfl.input({ shape: [28, 28, 1], name: 'image' });
  // MNIST's mean and std inside the model: a model.json brings its own normalisation.
  let x = tfl.layers
    .rescaling({ scale: 1 / 0.3081, offset: -0.1307 / 0.3081, name: 'normalize' })
    .apply(input) as tfl.SymbolicTensor;
  x = relu('stem_relu', bn('stem_bn', conv(16, 1, 'stem_conv', x)));
  // Stride 2 with 'same' on 28 pixels pads 0 above and 1 below: Keras's asymmetric padding.
  x = relu('down_relu', bn('down_bn', conv(32, 2, 'down_conv', x)));
  let y = relu('block_relu1', bn('block_bn1', conv(32, 1, 'block_conv1', x)));
  y = bn('block_bn2', conv(32, 1, 'block_conv2', y));
  let gate = tfl.layers.globalAveragePooling2d({ name: 'se_pool' }).apply(y) as tfl.SymbolicTensor;
  gate = tfl.layers
    .dense({ units: 8, activation: 'relu', kernelInitializer: init(), name: 'se_fc1' })
    .apply(gate) as tfl.SymbolicTensor;
  gate = tfl.layers
    .dense({ units: 32, activation: 'sigmoid', kernelInitializer: init(), name: 'se_fc2' })
    .apply(gate) as tfl.SymbolicTensor;
  gate = tfl.layers.reshape({ targetShape: [1, 1, 32], name: 'se_reshape' }).apply(gate) as tfl.SymbolicTensor;
  y = tfl.layers.multiply({ name: 'se_scale' }).apply([y, gate]) as tfl.SymbolicTensor;
  x = relu('block_out', tfl.layers.add({ name: 'block_add' }).apply([y, x]) as tfl.SymbolicTensor);
  x = tfl.layers.maxPooling2d({ poolSize: 2, name: 'pool' }).apply(x) as tfl.SymbolicTensor;
  const dw = tfl.layers
    .depthwiseConv2d({
      kernelSize: 3,
      padding: 'same',
      activation: 'relu6',
      depthwiseInitializer: init(),
      name: 'branch_dw',
    })
    .apply(x) as tfl.SymbolicTensor;
  x = tfl.layers.concatenate({ name: 'join' }).apply([x, dw]) as tfl.SymbolicTensor;
  // 7 -> 8 -> 4. Not a 'same' average pool: tfjs's gradient of one is wrong at the image edge
  // (it divides by the whole window where the forward pass divides by the pixels inside).
  x = tfl.layers
    .zeroPadding2d({
      padding: [
        [0, 1],
        [0, 1],
      ],
      name: 'pad',
    })
    .apply(x) as tfl.SymbolicTensor;
  x = tfl.layers.averagePooling2d({ poolSize: 2, name: 'avg' }).apply(x) as tfl.SymbolicTensor;
  x = tfl.layers.flatten({ name: 'flatten' }).apply(x) as tfl.SymbolicTensor;
  x = tfl.layers.dropout({ rate: 0.2, seed: seed++, name: 'dropout' }).apply(x) as tfl.SymbolicTensor;
  const logits = tfl.layers
    .dense({ units: 10, kernelInitializer: init(), name: 'logits' })
    .apply(x) as tfl.SymbolicTensor;
  return tfl.model({ inputs: input, outputs: logits, name: 'mnist_small' });
}

async function main(): Promise<void> {
  const digitsDir = process.argv[2] ?? path.resolve('dist', 'data', 'mnist-bundled');
  const epochs = Number(process.argv[3] ?? 2);
  // The plain JavaScript back end took minutes per epoch; wasm with our kernels takes seconds.
  await selectTfjsBackend('wasm');
  const { train, test } = loadBundledMnist(digitsDir);
  if (!train) throw new Error(`${digitsDir} has no training digits`);
  const order = shuffledOrder(train.n, SEED);
  const size = 28 * 28;
  const images = new Float32Array(train.n * size);
  const labels = new Int32Array(train.n);
  order.forEach((src, dst) => {
    images.set(train.images.subarray(src * size, (src + 1) * size), dst * size);
    labels[dst] = train.labels[src] as number;
  });
  const model = buildModel();
  model.compile({
    optimizer: tf.train.adam(2e-3),
    loss: (yTrue: tf.Tensor, yPred: tf.Tensor) => tf.losses.softmaxCrossEntropy(yTrue, yPred),
    metrics: [],
  });
  const xs = tf.tensor4d(images, [train.n, 28, 28, 1]);
  const ys = tf.oneHot(tf.tensor1d(labels, 'int32'), 10);
  const started = Date.now();
  await model.fit(xs, ys, {
    epochs,
    batchSize: 64,
    shuffle: false,
    verbose: 0,
    callbacks: {
      onBatchEnd: (batch, logs) => {
        if (batch % 25 === 0)
          console.log(
            `  batch ${batch}: loss ${logs?.loss?.toFixed(4)} (${((Date.now() - started) / 1000).toFixed(0)} s)`,
          );
      },
      onEpochEnd: (epoch, logs) =>
        console.log(
          `epoch ${epoch + 1}: loss ${logs?.loss?.toFixed(4)} (${((Date.now() - started) / 1000).toFixed(0)} s)`,
        ),
    },
  });
  const predicted = tf.argMax(model.predict(tf.tensor4d(test.images, [test.n, 28, 28, 1])) as tf.Tensor, 1).dataSync();
  let correct = 0;
  predicted.forEach((p, i) => {
    if (p === test.labels[i]) correct += 1;
  });
  console.log(`clean test accuracy ${((100 * correct) / test.n).toFixed(2)}% on ${test.n} digits`);

  fs.mkdirSync(OUT_DIR, { recursive: true });
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const { weightData, weightSpecs, modelTopology } = artifacts;
      if (!(weightData instanceof ArrayBuffer) || !weightSpecs || !modelTopology)
        throw new Error('tfjs returned no single weight buffer to save');
      const json = {
        format: 'layers-model',
        generatedBy: `TensorFlow.js tfjs-layers v${tfl.version_layers}`,
        convertedBy: null,
        modelTopology,
        weightsManifest: [{ paths: ['weights.bin'], weights: weightSpecs }],
      };
      fs.writeFileSync(path.join(OUT_DIR, 'model.json'), `${JSON.stringify(json)}\n`);
      fs.writeFileSync(path.join(OUT_DIR, 'weights.bin'), Buffer.from(weightData));
      return {
        modelArtifactsInfo: {
          dateSaved: new Date(),
          modelTopologyType: 'JSON',
          weightDataBytes: weightData.byteLength,
        },
      };
    }),
  );
  console.log(`${model.countParams()} parameters written to ${path.relative(process.cwd(), OUT_DIR)}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
