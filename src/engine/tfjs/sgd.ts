import * as tf from '@tensorflow/tfjs-core';
import type { SgdHyper } from '../model/classifier';
import type { NamedParameter } from './parameter-store';

/**
 * One step of SGD with momentum exactly as torch.optim.SGD defines it (dampening 0): the decayed
 * gradient g + wd * p enters the momentum buffer, buf = m * buf + g, and the step uses buf (or
 * g + m * buf with Nesterov). Norms, biases and activation parameters get no weight decay.
 */
export function sgdStep(
  parameters: readonly NamedParameter[],
  grads: Readonly<Record<string, tf.Tensor>>,
  momentum: Map<string, tf.Variable>,
  hyper: SgdHyper,
): void {
  for (const p of parameters) {
    const g = grads[p.variable.name];
    if (!g) continue;
    const decayed = p.decay && hyper.weightDecay > 0 ? tf.add(g, tf.mul(p.variable, hyper.weightDecay)) : g;
    let direction: tf.Tensor = decayed;
    if (hyper.momentum > 0) {
      let buffer = momentum.get(p.name);
      if (!buffer) {
        buffer = tf.variable(tf.zerosLike(p.variable), false);
        momentum.set(p.name, buffer);
      }
      buffer.assign(tf.add(tf.mul(buffer, hyper.momentum), decayed));
      direction = hyper.nesterov ? tf.add(decayed, tf.mul(buffer, hyper.momentum)) : buffer;
    }
    p.variable.assign(tf.sub(p.variable, tf.mul(direction, hyper.learningRate)));
  }
}
