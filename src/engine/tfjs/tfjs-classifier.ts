import * as tf from '@tensorflow/tfjs-core';
// tfjs-core registers the gradients of its ops only through this module (the union package imports it).
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import type { Network } from '../../core';
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
import { buildForward, UnsupportedModelError, type ForwardMode } from './build-forward';
import type { InputNormalization } from './normalize-input';
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
import { ParameterStore } from './parameter-store';
import { sgdStep } from './sgd';
import { yieldToEventLoop } from '../util/yield';
import { withMemoryCheck } from './memory-error';

export interface TfjsModelOptions {
  readonly inputShape: InputShape;
  readonly numClasses: number;
  readonly normalization?: InputNormalization;
  /** Seeds the initial weights. */
  readonly seed: number;
}

/** A network of the IR as a tfjs computation, behind the engine's back-end-neutral interface. */
export class TfjsClassifier implements TrainableClassifier {
  readonly inputShape: InputShape;
  readonly numClasses: number;
  private readonly store: ParameterStore;
  private readonly forward: (x: tf.Tensor, mode: ForwardMode) => tf.Tensor;
  private readonly momentum = new Map<string, tf.Variable>();

  constructor(network: Network, options: TfjsModelOptions) {
    if (network.inputChannels !== options.inputShape.channels) {
      throw new UnsupportedModelError(
        `${network.name} takes ${network.inputChannels}-channel images but the data has ` +
          `${options.inputShape.channels} channels`,
      );
    }
    this.inputShape = options.inputShape;
    this.numClasses = options.numClasses;
    this.store = new ParameterStore(options.seed);
    try {
      this.forward = buildForward(network, this.store, options.normalization);
      const probe = tf.tidy(
        () =>
          this.forward(tf.zeros([1, this.inputShape.height, this.inputShape.width, this.inputShape.channels]), {
            training: false,
            updates: [],
          }).shape,
      );
      if (probe.length !== 2 || probe[1] !== options.numClasses) {
        throw new UnsupportedModelError(
          `${network.name} outputs shape [${probe.join(', ')}] for one ` +
            `${this.inputShape.height}x${this.inputShape.width} image; expected [1, ` +
            `${options.numClasses}] logits`,
        );
      }
    } catch (error) {
      this.store.dispose();
      throw error;
    }
  }

  paramCount(): number {
    return this.store.count();
  }

  async logits(x: Float32Array, n: number): Promise<Float32Array> {
    await yieldToEventLoop();
    return hostValues(() => this.forward(this.input(x, n), { training: false, updates: [] }));
  }

  async inputGradient(x: Float32Array, n: number, objective: InputObjective): Promise<InputGradient> {
    await yieldToEventLoop();
    const forward = (input: tf.Tensor): tf.Tensor2D =>
      this.forward(input, { training: false, updates: [] }) as tf.Tensor2D;
    return withMemoryCheck('gradient', n, () => inputGradientOf(forward, () => this.input(x, n), objective));
  }

  async trainStep(objective: TrainObjective, n: number, hyper: SgdHyper): Promise<StepResult> {
    await yieldToEventLoop();
    return withMemoryCheck('training step', n, () => this.step(objective, n, hyper));
  }

  private async step(objective: TrainObjective, n: number, hyper: SgdHyper): Promise<StepResult> {
    let logits: Float32Array = new Float32Array(0);
    const updates: { buffer: tf.Variable; value: tf.Tensor }[] = [];
    const lossValue = tf.tidy(() => {
      const variables = this.store.parameters.map((p) => p.variable);
      const { value, grads } = tf.variableGrads(() => {
        const mode: ForwardMode = { training: true, updates: [] };
        const result = trainingLoss(
          (input) => this.forward(input, mode) as tf.Tensor2D,
          (x) => this.input(x, n),
          objective,
        );
        logits = result.logits;
        for (const u of mode.updates) updates.push({ buffer: u.buffer, value: tf.keep(u.value) });
        return result.loss;
      }, variables);
      sgdStep(this.store.parameters, grads, this.momentum, hyper);
      return value.dataSync()[0] ?? Number.NaN;
    });
    for (const u of updates) {
      u.buffer.assign(u.value);
      u.value.dispose();
    }
    return { loss: lossValue, logits };
  }

  async getState(): Promise<ModelState> {
    const tensors = new Map<string, { shape: readonly number[]; data: Float32Array }>();
    for (const p of this.store.parameters)
      tensors.set(p.name, { shape: p.variable.shape, data: Float32Array.from(await p.variable.data()) });
    for (const [name, b] of this.store.buffers)
      tensors.set(name, { shape: b.shape, data: Float32Array.from(await b.data()) });
    await addMomentum(tensors, this.momentum);
    return { tensors };
  }

  async setState(state: ModelState): Promise<void> {
    for (const p of this.store.parameters) assignFromState(state, p.name, p.variable);
    for (const [name, b] of this.store.buffers) assignFromState(state, name, b);
    restoreMomentum(this.momentum, state);
  }

  dispose(): void {
    this.store.dispose();
    disposeAll(this.momentum);
  }

  private input(x: Float32Array, n: number): tf.Tensor4D {
    return imageTensor(this.inputShape, x, n);
  }
}
