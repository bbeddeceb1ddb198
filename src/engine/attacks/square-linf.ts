/**
 * Square Attack's Linf steps (Andriushchenko et al., ECCV 2020, Algorithm 2 with the Linf
 * distribution of Sec. 3.1), on one NHWC image at a time. The reference is NCHW; here a pixel's
 * channels are adjacent, so a square covers rows vh..vh+s-1, columns vw..vw+s-1 and every channel.
 */
import type { InputShape } from '../model/classifier';
import type { Random } from '../util/random';
import { roundHalfEven } from './square-schedule';
import { randomSign, squareOffset } from './square-window';

function clipToBallAndBox(value: number, origin: number, eps: number): number {
  return Math.min(Math.max(value, origin - eps, 0), origin + eps, 1);
}

/**
 * The initialisation: vertical stripes of +-eps, one sign per column and channel (the same for
 * every row), which the paper found to hurt standard networks more than i.i.d. signs.
 */
export function linfStripes(x: Float32Array, shape: InputShape, eps: number, random: Random, out: Float32Array): void {
  const { height, width, channels } = shape;
  for (let col = 0; col < width; col++) {
    for (let ch = 0; ch < channels; ch++) {
      const step = eps * randomSign(random);
      for (let row = 0; row < height; row++) {
        const k = (row * width + col) * channels + ch;
        out[k] = clipToBallAndBox((x[k] ?? 0) + step, x[k] ?? 0, eps);
      }
    }
  }
}

/**
 * A candidate: the best point so far with one square window, in every channel, pushed by 2 eps
 * with a random sign per channel, then clipped back into the eps-ball and the box, so the window
 * lands on a vertex of the ball (up to the box).
 */
export function linfProposal(
  x: Float32Array,
  best: Float32Array,
  shape: InputShape,
  eps: number,
  p: number,
  random: Random,
  out: Float32Array,
): void {
  const { height, width, channels } = shape;
  const side = Math.min(Math.max(roundHalfEven(Math.sqrt(p * height * width)), 1), height, width);
  const vh = squareOffset(height, side, random);
  const vw = squareOffset(width, side, random);
  const steps = Array.from({ length: channels }, () => 2 * eps * randomSign(random));
  out.set(best);
  for (let row = vh; row < vh + side; row++) {
    for (let col = vw; col < vw + side; col++) {
      for (let ch = 0; ch < channels; ch++) {
        const k = (row * width + col) * channels + ch;
        out[k] = clipToBallAndBox((best[k] ?? 0) + (steps[ch] ?? 0), x[k] ?? 0, eps);
      }
    }
  }
}
