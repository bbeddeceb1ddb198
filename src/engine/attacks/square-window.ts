/** Random choices shared by Square Attack's Linf and L2 steps. */
import type { Random } from '../util/random';

/**
 * Top-left corner of a window of `side` along an axis of `length`, uniform over all positions
 * {0, ..., length - side} as the paper's Algorithms 2 and 3 sample it. AutoAttack's square.py draws
 * from [0, length - side) instead, so its windows never reach the last row and column and those
 * pixels keep their initial values for the whole attack; we do not reproduce that.
 */
export function squareOffset(length: number, side: number, random: Random): number {
  return random.integer(length - side + 1);
}

/** +1 or -1 with equal probability. */
export function randomSign(random: Random): number {
  return random.next() < 0.5 ? -1 : 1;
}
