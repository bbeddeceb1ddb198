/**
 * FAB's projection step (Croce and Hein, "Minimally distorted adversarial examples with a fast
 * adaptive boundary attack", ICML 2020, Sec. 3.1): the smallest step d, in the Linf or L2 norm,
 * that puts a point t of the box [0,1]^d on the hyperplane <w, z> = b while keeping t + d in the box.
 * When the box and the hyperplane do not meet, the step goes to the box corner that gets closest to
 * the hyperplane, as the reference's projection_linf / projection_l2 do.
 *
 * Both norms reduce to one scalar problem. Orient w so that <w, t> - b = c >= 0; the optimal step
 * lowers <w, .> by c and, per coordinate, moves against w's sign until the coordinate reaches the
 * box:
 *   Linf: d_i = -sign(w_i) min(lambda, p_i), p_i the room to the box;        w_i d_i = -|w_i| min(lambda, p_i)
 *   L2:   d_i = -w_i min(lambda, r_i),        r_i where the clip starts;     w_i d_i = -w_i^2 min(lambda, r_i)
 * (L2 is the KKT solution d = clip(-lambda w, -t, 1 - t)). So lambda solves
 * sum_i a_i min(lambda, q_i) = c with a_i = |w_i| or w_i^2, a piecewise-linear increasing function
 * whose breakpoints are the q_i, so lambda is found exactly once it is known which breakpoints lie
 * below it. (The reference sorts the breakpoints and bisects over them.)
 */
import type { ThreatNorm } from './attack';

/** Coordinates with |w_i| at or below this do not move, as in the reference's L2 projection. */
const L2_TINY_WEIGHT = 1e-8;

/** Median of three values, a pivot that avoids the worst case on sorted input. */
function medianOfThree(x: number, y: number, z: number): number {
  return Math.max(Math.min(x, y), Math.min(Math.max(x, y), z));
}

/**
 * The smallest lambda >= 0 with sum_i a_i min(lambda, q_i) = c over the coordinates in `active`,
 * or Infinity when even saturating every coordinate falls short of c. Instead of sorting the
 * breakpoints (O(d log d), the cost that dominates FAB's step on CIFAR-sized inputs), it narrows
 * them by three-way partitions around pivots, as quickselect does: each round classifies the
 * breakpoints on one side of the pivot as certainly saturated or certainly not, which is expected
 * O(d) overall. `active` is reordered.
 */
function solveCapped(a: Float64Array, q: Float64Array, active: Uint32Array, c: number): number {
  if (c <= 0) return 0;
  // Known so far: sum of a_i q_i over saturated coordinates, sum of a_i over unsaturated ones.
  let saturated = 0;
  let slope = 0;
  let lo = 0;
  let hi = active.length;
  const swap = (i: number, j: number): void => {
    const held = active[i] ?? 0;
    active[i] = active[j] ?? 0;
    active[j] = held;
  };
  while (lo < hi) {
    const qAt = (k: number): number => q[active[k] ?? 0] ?? 0;
    const pivot = medianOfThree(qAt(lo), qAt((lo + hi) >>> 1), qAt(hi - 1));
    // Partition [lo, hi) into q < pivot | q == pivot | q > pivot.
    let below = lo;
    let i = lo;
    let above = hi;
    let belowMass = 0;
    let equalSlope = 0;
    let equalMass = 0;
    let aboveSlope = 0;
    while (i < above) {
      const k = active[i] ?? 0;
      const ak = a[k] ?? 0;
      const qk = q[k] ?? 0;
      if (qk < pivot) {
        belowMass += ak * qk;
        swap(below++, i++);
      } else if (qk > pivot) {
        aboveSlope += ak;
        swap(i, --above);
      } else {
        equalSlope += ak;
        equalMass += ak * qk;
        i++;
      }
    }
    if (saturated + belowMass + equalMass + pivot * (slope + aboveSlope) >= c) {
      // lambda <= pivot: coordinates at or above the pivot do not saturate.
      slope += aboveSlope + equalSlope;
      hi = below;
    } else {
      // lambda > pivot: coordinates at or below it saturate.
      saturated += belowMass + equalMass;
      lo = above;
    }
  }
  return slope > 0 ? Math.max((c - saturated) / slope, 0) : Infinity;
}

/** Scratch arrays for one image size, reused across calls to keep the inner loop allocation free. */
export class HyperplaneBoxProjector {
  private readonly a: Float64Array;
  private readonly q: Float64Array;
  private readonly order: Uint32Array;

  constructor(
    private readonly norm: ThreatNorm,
    readonly size: number,
  ) {
    this.a = new Float64Array(size);
    this.q = new Float64Array(size);
    this.order = new Uint32Array(size);
  }

  /**
   * Writes into `d` the minimal-norm step from `t` (in [0,1]^size) onto {z : <w, z> = b} within the
   * box. `t` and `w` are read from `tOffset` / `wOffset`.
   */
  project(
    t: ArrayLike<number>,
    tOffset: number,
    w: ArrayLike<number>,
    wOffset: number,
    b: number,
    d: Float64Array,
  ): void {
    const { size, a, q } = this;
    let dot = 0;
    for (let i = 0; i < size; i++) dot += (w[wOffset + i] ?? 0) * (t[tOffset + i] ?? 0);
    // The reference orients with ">= 0", so a point on the plane moves by zero.
    const sign = dot - b >= 0 ? 1 : -1;
    const c = sign * (dot - b);
    let count = 0;
    for (let i = 0; i < size; i++) {
      const wi = sign * (w[wOffset + i] ?? 0);
      const ti = t[tOffset + i] ?? 0;
      if (this.norm === 'Linf') {
        if (wi === 0) continue;
        a[i] = Math.abs(wi);
        q[i] = Math.max(wi > 0 ? ti : 1 - ti, 0);
      } else {
        if (Math.abs(wi) <= L2_TINY_WEIGHT) continue;
        a[i] = wi * wi;
        q[i] = Math.max(wi > 0 ? ti / wi : (ti - 1) / wi, 0);
      }
      this.order[count++] = i;
    }
    const lambda = solveCapped(a, q, this.order.subarray(0, count), c);
    d.fill(0);
    for (let k = 0; k < count; k++) {
      const i = this.order[k] ?? 0;
      const wi = sign * (w[wOffset + i] ?? 0);
      const move = Math.min(lambda, q[i] ?? 0);
      d[i] = this.norm === 'Linf' ? -Math.sign(wi) * move : -wi * move;
    }
  }
}
