import * as tf from '@tensorflow/tfjs-core';
import { rankClasses } from '../attacks/batch-rows';
import type { InputObjective } from '../model/classifier';

/** Offset in the DLR denominators, as the reference AutoAttack uses. */
const DLR_EPS = 1e-12;

/**
 * The per-sample objective of an attack, from logits. The ranks DLR needs (the largest, third and
 * fourth logits) are read from `hostLogits` and enter as constant one-hot masks: the ranking is
 * piecewise constant, and tfjs has no gradient for topk or gather.
 */
export function objectiveLoss(logits: tf.Tensor2D, hostLogits: Float32Array, objective: InputObjective): tf.Tensor1D {
  const [n, k] = logits.shape;
  switch (objective.kind) {
    case 'ce':
      return crossEntropy(logits, objective.labels);
    case 'margin': {
      const t = tf.sum(tf.mul(logits, oneHot(objective.targets, n, k)), 1);
      const y = tf.sum(tf.mul(logits, oneHot(objective.labels, n, k)), 1);
      return tf.sub(t, y) as tf.Tensor1D;
    }
    case 'dlr': {
      const ranks = rankMasks(hostLogits, n, k, objective.labels);
      const zy = pick(logits, oneHot(objective.labels, n, k));
      const zOther = pick(logits, ranks.bestOther);
      const denominator = tf.add(tf.sub(pick(logits, ranks.first), pick(logits, ranks.third)), DLR_EPS);
      // Croce and Hein (2020), eq. 5: -(z_y - max_{i != y} z_i) / (z_pi1 - z_pi3).
      return tf.neg(tf.div(tf.sub(zy, zOther), denominator)) as tf.Tensor1D;
    }
    case 'dlr-targeted': {
      const ranks = rankMasks(hostLogits, n, k, objective.labels);
      const zy = pick(logits, oneHot(objective.labels, n, k));
      const zt = pick(logits, oneHot(objective.targets, n, k));
      const denominator = tf.add(
        tf.sub(pick(logits, ranks.first), tf.mul(tf.add(pick(logits, ranks.third), pick(logits, ranks.fourth)), 0.5)),
        DLR_EPS,
      );
      // Croce and Hein (2020), eq. 6: -(z_y - z_t) / (z_pi1 - (z_pi3 + z_pi4) / 2).
      return tf.neg(tf.div(tf.sub(zy, zt), denominator)) as tf.Tensor1D;
    }
    case 'kl': {
      const reference = tf.tensor2d(objective.reference, [n, k]);
      const logP = tf.logSoftmax(logits);
      // KL(reference || p) per sample; 0 * log 0 counts as 0.
      const logRef = tf.log(tf.maximum(reference, 1e-12));
      return tf.sum(tf.mul(reference, tf.sub(logRef, logP)), 1) as tf.Tensor1D;
    }
  }
}

export function crossEntropy(logits: tf.Tensor2D, labels: Int32Array): tf.Tensor1D {
  const [n, k] = logits.shape;
  return tf.neg(tf.sum(tf.mul(tf.logSoftmax(logits), oneHot(labels, n, k)), 1)) as tf.Tensor1D;
}

function pick(logits: tf.Tensor2D, mask: tf.Tensor2D): tf.Tensor1D {
  return tf.sum(tf.mul(logits, mask), 1) as tf.Tensor1D;
}

function oneHot(indices: Int32Array, n: number, k: number): tf.Tensor2D {
  const data = new Float32Array(n * k);
  for (let i = 0; i < n; i++) {
    const c = indices[i] ?? -1;
    if (c < 0 || c >= k) throw new RangeError(`class ${c} is outside 0..${k - 1}`);
    data[i * k + c] = 1;
  }
  return tf.tensor2d(data, [n, k]);
}

interface RankMasks {
  readonly first: tf.Tensor2D;
  readonly third: tf.Tensor2D;
  readonly fourth: tf.Tensor2D;
  readonly bestOther: tf.Tensor2D;
}

function rankMasks(host: Float32Array, n: number, k: number, labels: Int32Array): RankMasks {
  if (k < 4) throw new RangeError(`the DLR losses need at least 4 classes; this model has ${k}`);
  const first = new Float32Array(n * k);
  const third = new Float32Array(n * k);
  const fourth = new Float32Array(n * k);
  const bestOther = new Float32Array(n * k);
  const ranked = rankClasses(host, n, k);
  for (let i = 0; i < n; i++) {
    const order = ranked.subarray(i * k, (i + 1) * k);
    first[i * k + (order[0] ?? 0)] = 1;
    third[i * k + (order[2] ?? 0)] = 1;
    fourth[i * k + (order[3] ?? 0)] = 1;
    const y = labels[i] ?? 0;
    bestOther[i * k + (order[0] === y ? (order[1] ?? 0) : (order[0] ?? 0))] = 1;
  }
  return {
    first: tf.tensor2d(first, [n, k]),
    third: tf.tensor2d(third, [n, k]),
    fourth: tf.tensor2d(fourth, [n, k]),
    bestOther: tf.tensor2d(bestOther, [n, k]),
  };
}
