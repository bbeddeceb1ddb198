/** Sizes of perturbations in the threat models' norms, computed in double precision. */
import type { ThreatNorm } from './attack';

/** ||a_i - b_j|| over `size` values read from `aOffset` and `bOffset`. */
export function distance(
  norm: ThreatNorm,
  a: ArrayLike<number>,
  aOffset: number,
  b: ArrayLike<number>,
  bOffset: number,
  size: number,
): number {
  let result = 0;
  for (let k = 0; k < size; k++) {
    const diff = (a[aOffset + k] ?? 0) - (b[bOffset + k] ?? 0);
    result = norm === 'Linf' ? Math.max(result, Math.abs(diff)) : result + diff * diff;
  }
  return norm === 'Linf' ? result : Math.sqrt(result);
}

/** ||v|| of a whole vector. */
export function vectorNorm(norm: ThreatNorm, v: ArrayLike<number>): number {
  return distance(norm, v, 0, [], 0, v.length);
}
