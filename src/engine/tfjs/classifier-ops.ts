import * as tf from '@tensorflow/tfjs-core';
import {
  imageSize,
  type InputGradient,
  type InputObjective,
  type InputShape,
  type ModelState,
  type TrainObjective,
} from '../model/classifier';
import { crossEntropy, objectiveLoss } from './objectives';

/**
 * What every tfjs classifier does the same way, whatever builds its forward pass (the IR builder,
 * a TF.js LayersModel): input tensors, logits and input gradients read back to the host, the
 * training loss, and checkpoint entries.
 */

type StateTensors = Map<string, { shape: readonly number[]; data: Float32Array }>;

/** n images of `shape` as an NHWC tensor, refusing a buffer of the wrong length. */
export function imageTensor(shape: InputShape, x: Float32Array, n: number): tf.Tensor4D {
  const size = imageSize(shape);
  if (x.length !== n * size) throw new RangeError(`expected ${n} images of ${size} values, got ${x.length} values`);
  return tf.tensor4d(x, [n, shape.height, shape.width, shape.channels]);
}

/** Runs `compute` in a tidy scope and copies its result to the host. */
export async function hostValues(compute: () => tf.Tensor): Promise<Float32Array> {
  const out = tf.tidy(compute);
  try {
    return Float32Array.from(await out.data());
  } finally {
    out.dispose();
  }
}

/** The objective per sample, its input gradient and the logits, from one forward pass. */
export async function inputGradientOf(
  forward: (x: tf.Tensor) => tf.Tensor2D,
  makeInput: () => tf.Tensor4D,
  objective: InputObjective,
): Promise<InputGradient> {
  let logits = new Float32Array(0);
  let loss = new Float32Array(0);
  const grad = tf.tidy(() =>
    tf.grad((input: tf.Tensor) => {
      const z = forward(input);
      logits = Float32Array.from(z.dataSync());
      const perSample = objectiveLoss(z, logits, objective);
      loss = Float32Array.from(perSample.dataSync());
      return tf.sum(perSample);
    })(makeInput()),
  );
  try {
    return { loss, logits, grad: Float32Array.from(await grad.data()) };
  } finally {
    grad.dispose();
  }
}

/**
 * The mean training loss of a batch (inside a gradient scope): cross-entropy, plus for TRADES
 * beta * KL(p(natural) || p(adversarial)) summed over classes and averaged over the batch. Also
 * returns the natural images' logits.
 */
export function trainingLoss(
  forward: (x: tf.Tensor) => tf.Tensor2D,
  input: (x: Float32Array) => tf.Tensor4D,
  objective: TrainObjective,
): { loss: tf.Scalar; logits: Float32Array } {
  const natural = forward(input(objective.x));
  const logits = Float32Array.from(natural.dataSync());
  let loss = tf.mean(crossEntropy(natural, objective.labels));
  if (objective.kind === 'trades') {
    const adversarial = forward(input(objective.xAdv));
    const kl = tf.sum(tf.mul(tf.softmax(natural), tf.sub(tf.logSoftmax(natural), tf.logSoftmax(adversarial))), 1);
    loss = tf.add(loss, tf.mul(tf.mean(kl), objective.beta));
  }
  return { loss: loss as tf.Scalar, logits };
}

/** Writes a checkpoint entry into `target`, refusing a missing tensor or one of another shape. */
export function assignFromState(state: ModelState, name: string, target: tf.Variable): void {
  const entry = state.tensors.get(name);
  if (!entry) throw new Error(`the checkpoint has no tensor ${name}`);
  if (entry.shape.length !== target.shape.length || entry.shape.some((d, i) => d !== target.shape[i])) {
    throw new Error(
      `the checkpoint's ${name} has shape [${entry.shape.join(', ')}], the model's [${target.shape.join(', ')}]`,
    );
  }
  tf.tidy(() => target.assign(tf.tensor(entry.data, [...entry.shape])));
}

/** Adds the optimiser's momentum buffers to checkpoint entries, under `momentum:<parameter>`. */
export async function addMomentum(tensors: StateTensors, momentum: ReadonlyMap<string, tf.Variable>): Promise<void> {
  for (const [name, m] of momentum)
    tensors.set(`momentum:${name}`, { shape: m.shape, data: Float32Array.from(await m.data()) });
}

/** Replaces the momentum buffers with a checkpoint's. */
export function restoreMomentum(momentum: Map<string, tf.Variable>, state: ModelState): void {
  disposeAll(momentum);
  for (const [key, entry] of state.tensors) {
    if (key.startsWith('momentum:'))
      momentum.set(key.slice('momentum:'.length), tf.variable(tf.tensor(entry.data, [...entry.shape]), false));
  }
}

export function disposeAll(variables: Map<string, tf.Variable>): void {
  for (const v of variables.values()) v.dispose();
  variables.clear();
}
