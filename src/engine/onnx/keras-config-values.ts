// Keras layer config values (numbers, pairs, axes) read with a clear error for what is not understood.
import { UnsupportedModelError } from '../tfjs/unsupported-model-error';
import type { KerasNode } from './keras-graph-data';

/** A Keras axis (negative from the end) of a rank-r value, as a non-negative index. */
export function channelAxisOf(axis: unknown, rank: number): number | undefined {
  const a = Array.isArray(axis) && axis.length === 1 ? axis[0] : axis;
  if (typeof a !== 'number' || !Number.isInteger(a)) return undefined;
  return a < 0 ? a + rank : a;
}

export function num(value: unknown, fallback: number): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : fallback;
}

export function pair(value: unknown, node: KerasNode, what: string): [number, number] {
  if (typeof value === 'number') return [value, value];
  if (Array.isArray(value) && value.length === 2 && value.every((v) => typeof v === 'number'))
    return [value[0] as number, value[1] as number];
  throw new UnsupportedModelError(`${node.name}: its ${what} ${JSON.stringify(value)} is not a pair of integers`);
}

/** ZeroPadding2D's and Cropping2D's [[top, bottom], [left, right]] in any of Keras's spellings. */
export function pairs(value: unknown, node: KerasNode): [[number, number], [number, number]] {
  if (typeof value === 'number')
    return [
      [value, value],
      [value, value],
    ];
  if (Array.isArray(value) && value.length === 2) {
    const [a, b] = value as unknown[];
    const side = (v: unknown): [number, number] => (typeof v === 'number' ? [v, v] : pair(v, node, 'padding'));
    return [side(a), side(b)];
  }
  throw new UnsupportedModelError(`${node.name}: its padding ${JSON.stringify(value)} is not understood`);
}
