import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import * as tfl from '@tensorflow/tfjs-layers';
import {
  imageSize,
  type InputGradient,
  type InputObjective,
  type InputShape,
  type ModelState,
  type SgdHyper,
  type StepResult,
  type TrainableClassifier,
  type TrainObjective,
} from '../model/classifier';
import { yieldToEventLoop } from '../util/yield';
import { crossEntropy, objectiveLoss } from './objectives';
import { UnsupportedModelError } from './unsupported-model-error';

/**
 * A TF.js LayersModel (`model.json` with its weight files) loaded as TF.js itself loads it, so
 * its padding, BatchNorm epsilon and every other Keras detail are exactly the original's. A
 * final softmax is undone with a log: attacks need logits, and log-probabilities differ from
 * logits only by a per-image constant, which no loss here depends on.
 */
export class LayersClassifier implements TrainableClassifier {
  readonly inputShape: InputShape;
  readonly numClasses: number;
  private readonly momentum = new Map<string, tf.Variable>();

  private constructor(private readonly model: tfl.LayersModel, private readonly softmaxOutput: boolean) {
    const input = model.inputs[0]?.shape ?? [];
    const output = model.outputs[0]?.shape ?? [];
    if (model.inputs.length !== 1 || input.length !== 4 || input.slice(1).some((d) => d === null)) {
      throw new UnsupportedModelError(`${model.name}: needs one image input of fixed size [batch, height, width, channels]; it has ${model.inputs.map((i) => `[${i.shape.join(', ')}]`).join(', ')}`);
    }
    if (model.outputs.length !== 1 || output.length !== 2) {
      throw new UnsupportedModelError(`${model.name}: needs one output of class scores [batch, classes]; it has ${model.outputs.map((o) => `[${o.shape.join(', ')}]`).join(', ')}`);
    }
    this.inputShape = { height: input[1] as number, width: input[2] as number, channels: input[3] as number };
    this.numClasses = output[1] as number;
  }

  static async load(modelJson: string): Promise<LayersClassifier> {
    const model = await tfl.loadLayersModel(fileHandler(modelJson));
    const last = model.layers[model.layers.length - 1];
    const activation = (last?.getConfig() as { activation?: unknown } | undefined)?.activation;
    return new LayersClassifier(model, activation === 'softmax');
  }

  paramCount(): number {
    return this.model.trainableWeights.reduce((s, w) => s + w.shape.reduce<number>((a, b) => a * (b ?? 1), 1), 0);
  }

  private forward(x: tf.Tensor, training: boolean): tf.Tensor2D {
    const out = this.model.apply(x, { training }) as tf.Tensor2D;
    return this.softmaxOutput ? tf.log(tf.maximum(out, 1e-30)) as tf.Tensor2D : out;
  }

  async logits(x: Float32Array, n: number): Promise<Float32Array> {
    await yieldToEventLoop();
    const out = tf.tidy(() => this.forward(this.input(x, n), false));
    try {
      return Float32Array.from(await out.data());
    } finally {
      out.dispose();
    }
  }

  async inputGradient(x: Float32Array, n: number, objective: InputObjective): Promise<InputGradient> {
    await yieldToEventLoop();
    let logits = new Float32Array(0);
    let loss = new Float32Array(0);
    const grad = tf.tidy(() => tf.grad((input: tf.Tensor) => {
      const z = this.forward(input, false);
      logits = Float32Array.from(z.dataSync());
      const perSample = objectiveLoss(z, logits, objective);
      loss = Float32Array.from(perSample.dataSync());
      return tf.sum(perSample);
    })(this.input(x, n)));
    try {
      return { loss, logits, grad: Float32Array.from(await grad.data()) };
    } finally {
      grad.dispose();
    }
  }

  async trainStep(objective: TrainObjective, n: number, hyper: SgdHyper): Promise<StepResult> {
    await yieldToEventLoop();
    let logits = new Float32Array(0);
    const weights = this.model.trainableWeights;
    const value = tf.tidy(() => {
      const { value: loss, grads } = tf.variableGrads(() => {
        const natural = this.forward(this.input(objective.x, n), true);
        logits = Float32Array.from(natural.dataSync());
        let total = tf.mean(crossEntropy(natural, objective.labels));
        if (objective.kind === 'trades') {
          const adversarial = this.forward(this.input(objective.xAdv, n), true);
          const kl = tf.sum(tf.mul(tf.softmax(natural), tf.sub(tf.logSoftmax(natural), tf.logSoftmax(adversarial))), 1);
          total = tf.add(total, tf.mul(tf.mean(kl), objective.beta));
        }
        return total as tf.Scalar;
      }, weights.map((w) => w.read() as tf.Variable));
      for (const w of weights) {
        const variable = w.read() as tf.Variable;
        const g = grads[variable.name];
        if (!g) continue;
        // Keras kernels take weight decay; biases, BatchNorm and activation parameters do not.
        const decay = /(^|\/)(depthwise_)?kernel$/.test(w.originalName) && hyper.weightDecay > 0;
        const decayed = decay ? tf.add(g, tf.mul(variable, hyper.weightDecay)) : g;
        let direction: tf.Tensor = decayed;
        if (hyper.momentum > 0) {
          let buffer = this.momentum.get(w.originalName);
          if (!buffer) {
            buffer = tf.variable(tf.zerosLike(variable), false);
            this.momentum.set(w.originalName, buffer);
          }
          buffer.assign(tf.add(tf.mul(buffer, hyper.momentum), decayed));
          direction = hyper.nesterov ? tf.add(decayed, tf.mul(buffer, hyper.momentum)) : buffer;
        }
        variable.assign(tf.sub(variable, tf.mul(direction, hyper.learningRate)));
      }
      return loss.dataSync()[0] ?? Number.NaN;
    });
    return { loss: value, logits };
  }

  async getState(): Promise<ModelState> {
    const tensors = new Map<string, { shape: readonly number[]; data: Float32Array }>();
    for (const w of this.model.weights) {
      const v = w.read();
      tensors.set(w.originalName, { shape: v.shape, data: Float32Array.from(await v.data()) });
    }
    for (const [name, m] of this.momentum) tensors.set(`momentum:${name}`, { shape: m.shape, data: Float32Array.from(await m.data()) });
    return { tensors };
  }

  async setState(state: ModelState): Promise<void> {
    for (const w of this.model.weights) {
      const entry = state.tensors.get(w.originalName);
      if (!entry) throw new Error(`the checkpoint has no tensor ${w.originalName}`);
      tf.tidy(() => {
        w.write(tf.tensor(entry.data, [...entry.shape]));
      });
    }
    for (const m of this.momentum.values()) m.dispose();
    this.momentum.clear();
    for (const [key, entry] of state.tensors) {
      if (key.startsWith('momentum:')) this.momentum.set(key.slice('momentum:'.length), tf.variable(tf.tensor(entry.data, [...entry.shape]), false));
    }
  }

  dispose(): void {
    this.model.dispose();
    for (const m of this.momentum.values()) m.dispose();
    this.momentum.clear();
  }

  private input(x: Float32Array, n: number): tf.Tensor4D {
    const size = imageSize(this.inputShape);
    if (x.length !== n * size) throw new RangeError(`expected ${n} images of ${size} values, got ${x.length} values`);
    return tf.tensor4d(x, [n, this.inputShape.height, this.inputShape.width, this.inputShape.channels]);
  }
}

/** Reads model.json and the weight files its manifest names from disk, in Node. */
function fileHandler(modelJson: string): tf.io.IOHandler {
  return {
    load: async () => {
      let json: { modelTopology?: object; weightsManifest?: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[]; format?: string };
      try {
        json = JSON.parse(fs.readFileSync(modelJson, 'utf8')) as typeof json;
      } catch (error) {
        throw new UnsupportedModelError(`cannot read ${modelJson}: ${(error as Error).message}`);
      }
      if (!json.modelTopology || !json.weightsManifest) throw new UnsupportedModelError(`${modelJson} is not a TF.js layers model (no modelTopology or weightsManifest)`);
      const dir = path.dirname(modelJson);
      const specs: tf.io.WeightsManifestEntry[] = [];
      const buffers: Buffer[] = [];
      for (const group of json.weightsManifest) {
        for (const p of group.paths) {
          const file = path.join(dir, p);
          try {
            buffers.push(fs.readFileSync(file));
          } catch {
            throw new UnsupportedModelError(`${modelJson} names weight file ${p}, which is missing`);
          }
        }
        specs.push(...group.weights);
      }
      const all = Buffer.concat(buffers);
      const weightData = all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength);
      return { modelTopology: json.modelTopology, weightSpecs: specs, weightData, format: json.format ?? 'layers-model' };
    },
  };
}
