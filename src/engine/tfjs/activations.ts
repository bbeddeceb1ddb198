import * as tf from '@tensorflow/tfjs-core';
import type { ActivationFunction } from '../../core';

/** Learned scalars of a parametric activation, by name (`alpha`, `beta`). */
export type ActivationParams = Readonly<Record<string, tf.Tensor>>;

export { activationInitialParams } from '../model/activation-params';

/**
 * Applies an activation as PyTorch defines it (defaults of the torch.nn classes: LeakyReLU's
 * slope 0.01, ELU's alpha 1, exact erf-based GELU). Channels are last; PReLU's weight has either
 * one entry or one per channel and broadcasts either way.
 */
export function applyActivation(fn: ActivationFunction, x: tf.Tensor, params: ActivationParams): tf.Tensor {
  switch (fn) {
    case 'relu':
      return tf.relu(x);
    case 'relu6':
      return tf.relu6(x);
    case 'leaky-relu':
      return tf.leakyRelu(x, 0.01);
    case 'elu':
      return tf.elu(x);
    case 'silu':
      return tf.mul(x, tf.sigmoid(x));
    case 'gelu':
      return tf.mul(tf.mul(x, 0.5), tf.add(1, tf.erf(tf.mul(x, Math.SQRT1_2))));
    case 'mish':
      return tf.mul(x, tf.tanh(tf.softplus(x)));
    case 'hardswish':
      return tf.div(tf.mul(x, tf.relu6(tf.add(x, 3))), 6);
    case 'sigmoid':
      return tf.sigmoid(x);
    case 'tanh':
      return tf.tanh(x);
    case 'softplus':
      return tf.softplus(x);
    case 'prelu': {
      const slope = need(params, 'weight');
      return tf.add(tf.relu(x), tf.mul(slope, tf.neg(tf.relu(tf.neg(x)))));
    }
    case 'psilu':
      return tf.mul(x, tf.sigmoid(tf.mul(need(params, 'alpha'), x)));
    case 'pssilu': {
      // beta is kept in [0, 1] as the reference clamps it before each use.
      const beta = tf.clipByValue(need(params, 'beta'), 0, 1);
      const gate = tf.sub(tf.sigmoid(tf.mul(need(params, 'alpha'), x)), beta);
      return tf.div(tf.mul(x, gate), tf.add(tf.sub(1, beta), 1e-6));
    }
  }
}

function need(params: ActivationParams, name: string): tf.Tensor {
  const p = params[name];
  if (!p) throw new Error(`activation parameter ${name} is missing`);
  return p;
}
