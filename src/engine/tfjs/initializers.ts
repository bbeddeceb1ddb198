import * as tf from '@tensorflow/tfjs-core';

/**
 * Initial weights as torchvision's ResNets draw them: convs from Kaiming normal with fan-out
 * (He et al., 2015), linear layers from PyTorch's default uniform(+-1/sqrt(fan_in)).
 */
export function kaimingNormalFanOut(shape: readonly [number, number, number, number], seed: number): tf.Tensor {
  const [kh, kw, , cout] = shape;
  const std = Math.sqrt(2 / (cout * kh * kw));
  return tf.randomNormal([...shape], 0, std, 'float32', seed);
}

export function uniformFanIn(shape: readonly number[], fanIn: number, seed: number): tf.Tensor {
  const bound = 1 / Math.sqrt(Math.max(1, fanIn));
  return tf.randomUniform([...shape], -bound, bound, 'float32', seed);
}
