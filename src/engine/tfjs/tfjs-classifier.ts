import * as tf from '@tensorflow/tfjs-core';
// tfjs-core registers the gradients of its ops only through this module (the union package imports it).
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import type { Network } from '../../core';
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
import { buildForward, UnsupportedModelError, type ForwardMode } from './build-forward';
import type { InputNormalization } from './normalize-input';
import { crossEntropy, objectiveLoss } from './objectives';
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
      throw new UnsupportedModelError(`${network.name} takes ${network.inputChannels}-channel images but the data has ${options.inputShape.channels} channels`);
    }
    this.inputShape = options.inputShape;
    this.numClasses = options.numClasses;
    this.store = new ParameterStore(options.seed);
    try {
      this.forward = buildForward(network, this.store, options.normalization);
      const probe = tf.tidy(() => this.forward(tf.zeros([1, this.inputShape.height, this.inputShape.width, this.inputShape.channels]), { training: false, updates: [] }).shape);
      if (probe.length !== 2 || probe[1] !== options.numClasses) {
        throw new UnsupportedModelError(`${network.name} outputs shape [${probe.join(', ')}] for one ${this.inputShape.height}x${this.inputShape.width} image; expected [1, ${options.numClasses}] logits`);
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
    const out = tf.tidy(() => this.forward(this.input(x, n), { training: false, updates: [] }));
    try {
      return Float32Array.from(await out.data());
    } finally {
      out.dispose();
    }
  }

  async inputGradient(x: Float32Array, n: number, objective: InputObjective): Promise<InputGradient> {
    await yieldToEventLoop();
    return withMemoryCheck('gradient', n, () => this.gradient(x, n, objective));
  }

  private async gradient(x: Float32Array, n: number, objective: InputObjective): Promise<InputGradient> {
    let logits = new Float32Array(0);
    let loss = new Float32Array(0);
    const grad = tf.tidy(() => {
      const total = (input: tf.Tensor): tf.Scalar => {
        const z = this.forward(input, { training: false, updates: [] }) as tf.Tensor2D;
        logits = Float32Array.from(z.dataSync());
        const perSample = objectiveLoss(z, logits, objective);
        loss = Float32Array.from(perSample.dataSync());
        return tf.sum(perSample);
      };
      return tf.grad(total)(this.input(x, n));
    });
    try {
      return { loss, logits, grad: Float32Array.from(await grad.data()) };
    } finally {
      grad.dispose();
    }
  }

  async trainStep(objective: TrainObjective, n: number, hyper: SgdHyper): Promise<StepResult> {
    await yieldToEventLoop();
    return withMemoryCheck('training step', n, () => this.step(objective, n, hyper));
  }

  private async step(objective: TrainObjective, n: number, hyper: SgdHyper): Promise<StepResult> {
    let logits = new Float32Array(0);
    const updates: { buffer: tf.Variable; value: tf.Tensor }[] = [];
    const lossValue = tf.tidy(() => {
      const variables = this.store.parameters.map((p) => p.variable);
      const { value, grads } = tf.variableGrads(() => {
        const mode: ForwardMode = { training: true, updates: [] };
        const natural = this.forward(this.input(objective.x, n), mode) as tf.Tensor2D;
        logits = Float32Array.from(natural.dataSync());
        let loss = tf.mean(crossEntropy(natural, objective.labels));
        if (objective.kind === 'trades') {
          const adversarial = this.forward(this.input(objective.xAdv, n), mode) as tf.Tensor2D;
          // KL(p(natural) || p(adversarial)) summed over classes, averaged over the batch.
          const pNat = tf.softmax(natural);
          const kl = tf.sum(tf.mul(pNat, tf.sub(tf.logSoftmax(natural), tf.logSoftmax(adversarial))), 1);
          loss = tf.add(loss, tf.mul(tf.mean(kl), objective.beta));
        }
        for (const u of mode.updates) updates.push({ buffer: u.buffer, value: tf.keep(u.value) });
        return loss as tf.Scalar;
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
    for (const p of this.store.parameters) tensors.set(p.name, { shape: p.variable.shape, data: Float32Array.from(await p.variable.data()) });
    for (const [name, b] of this.store.buffers) tensors.set(name, { shape: b.shape, data: Float32Array.from(await b.data()) });
    for (const [name, m] of this.momentum) tensors.set(`momentum:${name}`, { shape: m.shape, data: Float32Array.from(await m.data()) });
    return { tensors };
  }

  async setState(state: ModelState): Promise<void> {
    const assign = (name: string, target: tf.Variable): void => {
      const entry = state.tensors.get(name);
      if (!entry) throw new Error(`the checkpoint has no tensor ${name}`);
      if (entry.shape.length !== target.shape.length || entry.shape.some((d, i) => d !== target.shape[i])) {
        throw new Error(`the checkpoint's ${name} has shape [${entry.shape.join(', ')}], the model's [${target.shape.join(', ')}]`);
      }
      tf.tidy(() => target.assign(tf.tensor(entry.data, [...entry.shape])));
    };
    for (const p of this.store.parameters) assign(p.name, p.variable);
    for (const [name, b] of this.store.buffers) assign(name, b);
    for (const m of this.momentum.values()) m.dispose();
    this.momentum.clear();
    for (const [key, entry] of state.tensors) {
      if (!key.startsWith('momentum:')) continue;
      this.momentum.set(key.slice('momentum:'.length), tf.variable(tf.tensor(entry.data, [...entry.shape]), false));
    }
  }

  dispose(): void {
    this.store.dispose();
    for (const m of this.momentum.values()) m.dispose();
    this.momentum.clear();
  }

  private input(x: Float32Array, n: number): tf.Tensor4D {
    const size = imageSize(this.inputShape);
    if (x.length !== n * size) throw new RangeError(`expected ${n} images of ${size} values, got ${x.length} values`);
    return tf.tensor4d(x, [n, this.inputShape.height, this.inputShape.width, this.inputShape.channels]);
  }
}
