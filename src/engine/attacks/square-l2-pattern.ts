/**
 * The L2 Square Attack's window pattern (Andriushchenko et al., ECCV 2020, Sec. 3.2 and Fig. 2):
 * two halves of opposite sign, each a stack of concentric rectangles whose weights fall off as
 * 1/(k+1)^2 from the centre, so the update concentrates its mass in the middle of each half; each
 * half has unit norm, so for even sides the pattern sums to zero. Values are row-major; the caller lays them over each
 * channel.
 */
import type { Random } from '../util/random';

function normaliseL2(values: Float64Array): void {
  let sum = 0;
  for (const v of values) sum += v * v;
  const norm = Math.sqrt(sum);
  if (norm > 0) for (let i = 0; i < values.length; i++) values[i] = (values[i] ?? 0) / norm;
}

/** rows x cols of concentric rectangles, unit L2 norm (empty when rows or cols is 0). */
export function concentricRectangles(rows: number, cols: number): Float64Array {
  const out = new Float64Array(rows * cols);
  // The rectangles grow by one cell on every side per ring, starting at the centre cell.
  let top = Math.floor(rows / 2);
  let left = Math.floor(cols / 2);
  const rings = Math.max(Math.floor(rows / 2) + 1, Math.floor(cols / 2) + 1);
  for (let ring = 0; ring < rings; ring++) {
    const weight = 1 / ((ring + 1) * (ring + 1));
    for (let r = Math.max(top, 0); r < Math.min(top + 2 * ring + 1, rows); r++) {
      for (let c = Math.max(left, 0); c < Math.min(left + 2 * ring + 1, cols); c++)
        out[r * cols + c] = (out[r * cols + c] ?? 0) + weight;
    }
    top--;
    left--;
  }
  normaliseL2(out);
  return out;
}

/**
 * side x side: the upper floor(side/2) rows positive, the rest negative, unit L2 norm, transposed
 * (halves side by side instead) with probability one half.
 */
export function squarePattern(side: number, random: Random): Float64Array {
  const upperRows = Math.floor(side / 2);
  const upper = concentricRectangles(upperRows, side);
  const lower = concentricRectangles(side - upperRows, side);
  const pattern = new Float64Array(side * side);
  pattern.set(upper);
  for (let i = 0; i < lower.length; i++) pattern[upper.length + i] = -(lower[i] ?? 0);
  normaliseL2(pattern);
  if (random.next() <= 0.5) return pattern;
  const transposed = new Float64Array(side * side);
  for (let r = 0; r < side; r++) for (let c = 0; c < side; c++) transposed[c * side + r] = pattern[r * side + c] ?? 0;
  return transposed;
}
