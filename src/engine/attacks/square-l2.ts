/**
 * Square Attack's L2 steps (Andriushchenko et al., ECCV 2020, Algorithm 3 and Sec. 3.2), on one
 * NHWC image at a time, following AutoAttack's square.py. Every candidate is rescaled to norm
 * exactly eps before clipping to the box, so the search moves on the sphere.
 */
import type { InputShape } from '../model/classifier';
import type { Random } from '../util/random';
import { squarePattern } from './square-l2-pattern';
import { roundHalfEven } from './square-schedule';
import { randomSign, squareOffset } from './square-window';

/** Writes clip(x + eps * delta / ||delta||, 0, 1) into `out`. */
function onSphereInBox(x: Float32Array, delta: Float64Array, eps: number, out: Float32Array): void {
  let sum = 0;
  for (const v of delta) sum += v * v;
  const scale = eps / (Math.sqrt(sum) + 1e-12);
  for (let k = 0; k < delta.length; k++) out[k] = Math.min(Math.max((x[k] ?? 0) + scale * (delta[k] ?? 0), 0), 1);
}

/**
 * The initialisation: a grid of side floor(h/5) windows, each holding the pattern with a random sign
 * per channel. The reference assumes h >= 5; smaller images use windows of one pixel.
 */
export function l2Init(x: Float32Array, shape: InputShape, eps: number, random: Random, out: Float32Array): void {
  const { height, width, channels } = shape;
  const side = Math.max(Math.floor(height / 5), 1);
  const start = Math.max(Math.floor((height - side * 5) / 2), 0);
  const delta = new Float64Array(height * width * channels);
  for (let wr = 0, vh = start; wr < Math.floor(height / side); wr++, vh += side) {
    for (let wc = 0, vw = start; wc < Math.floor(width / side); wc++, vw += side) {
      const pattern = squarePattern(side, random);
      for (let ch = 0; ch < channels; ch++) {
        const sign = randomSign(random);
        // Windows that run past the image keep only the part inside it.
        for (let r = 0; r < side && vh + r < height; r++) {
          for (let c = 0; c < side && vw + c < width; c++) {
            const k = ((vh + r) * width + vw + c) * channels + ch;
            delta[k] = (delta[k] ?? 0) + sign * (pattern[r * side + c] ?? 0);
          }
        }
      }
    }
  }
  onSphereInBox(x, delta, eps, out);
}

interface Window {
  readonly top: number;
  readonly left: number;
  readonly side: number;
}

function inWindow(w: Window, row: number, col: number): boolean {
  return row >= w.top && row < w.top + w.side && col >= w.left && col < w.left + w.side;
}

/**
 * A candidate: the perturbation's mass in two random windows (all channels) is moved into the
 * first one, replaced there by the pattern plus the window's old direction, and the second window
 * is zeroed; per channel the new window gets the mass the two windows had plus an equal share of
 * the budget still unused, eps^2 - ||delta||^2.
 */
export function l2Proposal(
  x: Float32Array,
  best: Float32Array,
  shape: InputShape,
  eps: number,
  p: number,
  random: Random,
  out: Float32Array,
): void {
  const { height, width, channels } = shape;
  let side = Math.max(roundHalfEven(Math.sqrt(p * height * width)), 3);
  if (side % 2 === 0) side++;
  side = Math.min(side, height, width);
  const first: Window = { top: squareOffset(height, side, random), left: squareOffset(width, side, random), side };
  const second: Window = { top: squareOffset(height, side, random), left: squareOffset(width, side, random), side };

  const delta = Float64Array.from(best, (v, k) => v - (x[k] ?? 0));
  let imageSq = 0;
  const firstSq = new Float64Array(channels);
  const unionSq = new Float64Array(channels);
  for (let row = 0; row < height; row++) {
    for (let col = 0; col < width; col++) {
      const inFirst = inWindow(first, row, col);
      const inUnion = inFirst || inWindow(second, row, col);
      for (let ch = 0; ch < channels; ch++) {
        const v = delta[(row * width + col) * channels + ch] ?? 0;
        imageSq += v * v;
        if (inFirst) firstSq[ch] = (firstSq[ch] ?? 0) + v * v;
        if (inUnion) unionSq[ch] = (unionSq[ch] ?? 0) + v * v;
      }
    }
  }

  const pattern = squarePattern(side, random);
  const update = new Float64Array(side * side);
  const unused = Math.max(eps * eps - imageSq, 0) / channels;
  for (let ch = 0; ch < channels; ch++) {
    const sign = randomSign(random);
    const oldNorm = Math.sqrt(firstSq[ch] ?? 0) + 1e-12;
    let updateSq = 0;
    for (let r = 0; r < side; r++) {
      for (let c = 0; c < side; c++) {
        const old = delta[((first.top + r) * width + first.left + c) * channels + ch] ?? 0;
        const v = sign * (pattern[r * side + c] ?? 0) + old / oldNorm;
        update[r * side + c] = v;
        updateSq += v * v;
      }
    }
    const scale = Math.sqrt(unused + (unionSq[ch] ?? 0)) / (Math.sqrt(updateSq) + 1e-12);
    for (let r = 0; r < side; r++) {
      for (let c = 0; c < side; c++) delta[((second.top + r) * width + second.left + c) * channels + ch] = 0;
    }
    for (let r = 0; r < side; r++) {
      for (let c = 0; c < side; c++)
        delta[((first.top + r) * width + first.left + c) * channels + ch] = scale * (update[r * side + c] ?? 0);
    }
  }
  onSphereInBox(x, delta, eps, out);
}
