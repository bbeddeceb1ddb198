import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import * as tfl from '@tensorflow/tfjs-layers';
import {
  type InputGradient,
  type InputObjective,
  type InputShape,
  type ModelState,
  type SgdHyper,
  type StepResult,
  type TrainableClassifier,
  type TrainObjective,
} from '../model/classifier';
import { loadBudgetSeconds, withWatchdog } from '../util/watchdog';
import { yieldToEventLoop } from '../util/yield';
import {
  addMomentum,
  assignFromState,
  disposeAll,
  hostValues,
  imageTensor,
  inputGradientOf,
  restoreMomentum,
  trainingLoss,
} from './classifier-ops';
import { withMemoryCheck } from './memory-error';
import { readModelJson, readWeightFiles } from './model-json-files';
import type { NamedParameter } from './parameter-store';
import { sgdStep } from './sgd';
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

  private constructor(
    private readonly model: tfl.LayersModel,
    private readonly softmaxOutput: boolean,
  ) {
    const input = model.inputs[0]?.shape ?? [];
    const output = model.outputs[0]?.shape ?? [];
    if (model.inputs.length !== 1 || input.length !== 4 || input.slice(1).some((d) => d === null)) {
      throw new UnsupportedModelError(
        `${model.name}: needs one image input of fixed size [batch, height, width, ` +
          `channels]; it has ` +
          `${model.inputs.map((i) => `[${i.shape.join(', ')}]`).join(', ')}`,
      );
    }
    if (model.outputs.length !== 1 || output.length !== 2) {
      throw new UnsupportedModelError(
        `${model.name}: needs one output of class scores [batch, classes]; it has ` +
          `${model.outputs.map((o) => `[${o.shape.join(', ')}]`).join(', ')}`,
      );
    }
    this.inputShape = { height: input[1] as number, width: input[2] as number, channels: input[3] as number };
    this.numClasses = output[1] as number;
  }

  static async load(modelJson: string): Promise<LayersClassifier> {
    const model = await withWatchdog(`loading ${modelJson}`, loadBudgetSeconds(), () =>
      tfl.loadLayersModel(fileHandler(modelJson)),
    );
    const last = model.layers[model.layers.length - 1];
    const activation = (last?.getConfig() as { activation?: unknown } | undefined)?.activation;
    return new LayersClassifier(model, activation === 'softmax');
  }

  paramCount(): number {
    return this.model.trainableWeights.reduce((s, w) => s + w.shape.reduce<number>((a, b) => a * (b ?? 1), 1), 0);
  }

  private forward(x: tf.Tensor, training: boolean): tf.Tensor2D {
    const out = this.model.apply(x, { training }) as tf.Tensor2D;
    return this.softmaxOutput ? (tf.log(tf.maximum(out, 1e-30)) as tf.Tensor2D) : out;
  }

  async logits(x: Float32Array, n: number): Promise<Float32Array> {
    await yieldToEventLoop();
    return hostValues(() => this.forward(this.input(x, n), false));
  }

  async inputGradient(x: Float32Array, n: number, objective: InputObjective): Promise<InputGradient> {
    await yieldToEventLoop();
    return withMemoryCheck('gradient', n, () =>
      inputGradientOf(
        (input) => this.forward(input, false),
        () => this.input(x, n),
        objective,
      ),
    );
  }

  async trainStep(objective: TrainObjective, n: number, hyper: SgdHyper): Promise<StepResult> {
    await yieldToEventLoop();
    return withMemoryCheck('training step', n, () => this.step(objective, n, hyper));
  }

  private async step(objective: TrainObjective, n: number, hyper: SgdHyper): Promise<StepResult> {
    let logits: Float32Array = new Float32Array(0);
    // Keras kernels take weight decay; biases, BatchNorm and activation parameters do not.
    const parameters: NamedParameter[] = this.model.trainableWeights.map((w) => ({
      name: w.originalName,
      variable: w.read() as tf.Variable,
      decay: /(^|\/)(depthwise_)?kernel$/.test(w.originalName),
    }));
    const value = tf.tidy(() => {
      const { value: loss, grads } = tf.variableGrads(
        () => {
          const result = trainingLoss(
            (input) => this.forward(input, true),
            (x) => this.input(x, n),
            objective,
          );
          logits = result.logits;
          return result.loss;
        },
        parameters.map((p) => p.variable),
      );
      sgdStep(parameters, grads, this.momentum, hyper);
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
    await addMomentum(tensors, this.momentum);
    return { tensors };
  }

  async setState(state: ModelState): Promise<void> {
    for (const w of this.model.weights) assignFromState(state, w.originalName, w.read() as tf.Variable);
    restoreMomentum(this.momentum, state);
  }

  dispose(): void {
    this.model.dispose();
    disposeAll(this.momentum);
  }

  private input(x: Float32Array, n: number): tf.Tensor4D {
    return imageTensor(this.inputShape, x, n);
  }
}

/** Reads model.json and the weight files its manifest names from disk, in Node (bounded: model-json-files.ts). */
function fileHandler(modelJson: string): tf.io.IOHandler {
  return {
    load: async () => {
      const json = readModelJson(modelJson);
      if (!json.modelTopology || !json.weightsManifest)
        throw new UnsupportedModelError(
          `${modelJson} is not a TF.js layers model (no modelTopology or weightsManifest)`,
        );
      const { specs, data } = readWeightFiles(modelJson, json.weightsManifest);
      return {
        modelTopology: json.modelTopology,
        weightSpecs: specs,
        weightData: data,
        format: json.format ?? 'layers-model',
      };
    },
  };
}
