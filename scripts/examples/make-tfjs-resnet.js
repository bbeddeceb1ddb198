#!/usr/bin/env node
'use strict';
// Writes examples/tfjs/resnet-cifar/{model.json,weights.bin}: a small bottleneck ResNet for
// 32x32x3 images in the exact LayersModel format TF.js writes (Keras 2 functional topology plus
// a weights manifest). Weights are He-initialised from a fixed seed: an architecture example,
// not a trained model. Run: node scripts/examples/make-tfjs-resnet.js
const fs = require('node:fs');
const path = require('node:path');

let seed = 12345;
function gaussian() {
  // Box-Muller over a mulberry32 stream: reproducible across machines.
  const uniform = () => {
    seed = (seed + 0x6d2b79f5) >>> 0;
    let t = seed;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return Math.sqrt(-2 * Math.log(uniform() + 1e-12)) * Math.cos(2 * Math.PI * uniform());
}

const layers = [];
const weightSpecs = [];
const values = [];
function addWeight(name, shape, init) {
  const size = shape.reduce((a, b) => a * b, 1);
  weightSpecs.push({ name, shape, dtype: 'float32' });
  for (let i = 0; i < size; i++) values.push(init(i));
}
function layer(className, name, config, inbound) {
  layers.push({
    class_name: className,
    config: { name, trainable: true, dtype: 'float32', ...config },
    name,
    inbound_nodes: inbound.length ? [inbound.map((n) => [n, 0, 0, {}])] : [],
  });
  return name;
}
function conv(name, input, cin, filters, kernel, stride) {
  layer(
    'Conv2D',
    name,
    {
      filters,
      kernel_size: [kernel, kernel],
      strides: [stride, stride],
      padding: 'same',
      data_format: 'channels_last',
      dilation_rate: [1, 1],
      groups: 1,
      activation: 'linear',
      use_bias: false,
    },
    [input],
  );
  const std = Math.sqrt(2 / (kernel * kernel * cin));
  addWeight(`${name}/kernel`, [kernel, kernel, cin, filters], () => gaussian() * std);
  return name;
}
function bn(name, input, channels) {
  layer('BatchNormalization', name, { axis: -1, momentum: 0.99, epsilon: 0.001, center: true, scale: true }, [input]);
  addWeight(`${name}/gamma`, [channels], () => 1);
  addWeight(`${name}/beta`, [channels], () => 0);
  addWeight(`${name}/moving_mean`, [channels], () => 0);
  addWeight(`${name}/moving_variance`, [channels], () => 1);
  return name;
}
function relu(name, input) {
  return layer('Activation', name, { activation: 'relu' }, [input]);
}

let x = layer('InputLayer', 'input_1', { batch_input_shape: [null, 32, 32, 3], sparse: false, ragged: false }, []);
x = relu('stem_relu', bn('stem_bn', conv('stem_conv', x, 3, 32, 3, 1), 32));
let width = 32;
const stages = [
  [64, 2, 1],
  [128, 2, 2],
  [256, 2, 2],
];
stages.forEach(([out, depth, stride], s) => {
  for (let b = 0; b < depth; b++) {
    const p = `stage${s + 1}_block${b + 1}`;
    const blockStride = b === 0 ? stride : 1;
    const inner = out / 4;
    let y = relu(`${p}_relu1`, bn(`${p}_bn1`, conv(`${p}_conv1`, x, width, inner, 1, 1), inner));
    y = relu(`${p}_relu2`, bn(`${p}_bn2`, conv(`${p}_conv2`, y, inner, inner, 3, blockStride), inner));
    y = bn(`${p}_bn3`, conv(`${p}_conv3`, y, inner, out, 1, 1), out);
    let shortcut = x;
    if (blockStride !== 1 || width !== out)
      shortcut = bn(`${p}_proj_bn`, conv(`${p}_proj`, x, width, out, 1, blockStride), out);
    x = relu(`${p}_out`, layer('Add', `${p}_add`, {}, [y, shortcut]));
    width = out;
  }
});
x = layer('GlobalAveragePooling2D', 'avg_pool', { data_format: 'channels_last', keepdims: false }, [x]);
x = layer('Dense', 'logits', { units: 10, activation: 'linear', use_bias: true }, [x]);
addWeight('logits/kernel', [width, 10], () => gaussian() * Math.sqrt(1 / width));
addWeight('logits/bias', [10], () => 0);

const dir = path.join(__dirname, '..', '..', 'examples', 'tfjs', 'resnet-cifar');
fs.mkdirSync(dir, { recursive: true });
const model = {
  format: 'layers-model',
  generatedBy: 'keras v2.15.0',
  convertedBy: 'TensorFlow.js Converter v4.22.0',
  modelTopology: {
    keras_version: '2.15.0',
    backend: 'tensorflow',
    model_config: {
      class_name: 'Functional',
      config: {
        name: 'resnet_cifar',
        trainable: true,
        layers,
        input_layers: [['input_1', 0, 0]],
        output_layers: [['logits', 0, 0]],
      },
    },
  },
  weightsManifest: [{ paths: ['weights.bin'], weights: weightSpecs }],
};
fs.writeFileSync(path.join(dir, 'model.json'), `${JSON.stringify(model, null, 1)}\n`);
fs.writeFileSync(path.join(dir, 'weights.bin'), Buffer.from(new Float32Array(values).buffer));
console.log(
  `${layers.length} layers, ${values.length} weights (${weightSpecs.length} tensors) ` +
    `written to ${path.relative(process.cwd(), dir)}`,
);
