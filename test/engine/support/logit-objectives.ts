/**
 * Every InputObjective as a function of one sample's logits, with its exact gradient with respect to
 * those logits. The test models chain it with their own d logits / d x, so their input gradients are
 * analytic (no autodiff) and independent of the back ends they are used to check.
 */
import type { InputObjective } from '../../../src/engine/model/classifier';

/** Indices of `z` by decreasing value; ties keep the lower index first, so the result is deterministic. */
function rankDescending(z: Float64Array): number[] {
  return Array.from(z.keys()).sort((a, b) => (z[b] ?? 0) - (z[a] ?? 0) || a - b);
}

function at(values: ArrayLike<number>, i: number): number {
  const v = values[i];
  if (v === undefined) throw new RangeError(`index ${i} outside ${values.length}`);
  return v;
}

/** log sum exp, shifted by the maximum so large logits do not overflow. */
function logSumExp(z: Float64Array): number {
  let max = -Infinity;
  for (const v of z) max = Math.max(max, v);
  let sum = 0;
  for (const v of z) sum += Math.exp(v - max);
  return max + Math.log(sum);
}

/** Cross-entropy of the true label; d/dz = softmax(z) - onehot(y). */
function crossEntropy(z: Float64Array, y: number, dz: Float64Array): number {
  const lse = logSumExp(z);
  for (let k = 0; k < z.length; k++) dz[k] = Math.exp(at(z, k) - lse);
  dz[y] = at(dz, y) - 1;
  return lse - at(z, y);
}

/**
 * The DLR loss of Croce and Hein (2020, eq. 5) as their reference attacks maximise it:
 * -(z_y - max_{i != y} z_i) / (z_pi1 - z_pi3 + 1e-12). Ascending it pushes z_y below the best other
 * logit, which is what the `dlr` objective promises. Needs three classes.
 */
function dlrUntargeted(z: Float64Array, y: number, dz: Float64Array): number {
  const order = rankDescending(z);
  const [p1, p2, p3] = [at(order, 0), at(order, 1), at(order, 2)];
  const other = p1 === y ? p2 : p1;
  const numerator = at(z, y) - at(z, other);
  const denominator = at(z, p1) - at(z, p3) + 1e-12;
  dz.fill(0);
  dz[y] = at(dz, y) - 1 / denominator;
  dz[other] = at(dz, other) + 1 / denominator;
  // d(-N/D)/dD = N/D^2, and D = z_pi1 - z_pi3.
  const byDenominator = numerator / (denominator * denominator);
  dz[p1] = at(dz, p1) + byDenominator;
  dz[p3] = at(dz, p3) - byDenominator;
  return -numerator / denominator;
}

/**
 * Targeted DLR (Croce and Hein, 2020, eq. 6) as the reference maximises it:
 * -(z_y - z_t) / (z_pi1 - (z_pi3 + z_pi4) / 2 + 1e-12). Needs four classes.
 */
function dlrTargeted(z: Float64Array, y: number, t: number, dz: Float64Array): number {
  const order = rankDescending(z);
  const [p1, p3, p4] = [at(order, 0), at(order, 2), at(order, 3)];
  const numerator = at(z, y) - at(z, t);
  const denominator = at(z, p1) - 0.5 * (at(z, p3) + at(z, p4)) + 1e-12;
  dz.fill(0);
  dz[y] = at(dz, y) - 1 / denominator;
  dz[t] = at(dz, t) + 1 / denominator;
  const byDenominator = numerator / (denominator * denominator);
  dz[p1] = at(dz, p1) + byDenominator;
  dz[p3] = at(dz, p3) - 0.5 * byDenominator;
  dz[p4] = at(dz, p4) - 0.5 * byDenominator;
  return -numerator / denominator;
}

/** logit[target] - logit[label]: FAB's linearised boundary function. */
function margin(z: Float64Array, y: number, t: number, dz: Float64Array): number {
  dz.fill(0);
  dz[t] = 1;
  dz[y] = at(dz, y) - 1;
  return at(z, t) - at(z, y);
}

/**
 * KL(r || softmax(z)) = sum_j r_j (log r_j - log p_j), with 0 log 0 = 0 (TRADES, Zhang et al., 2019).
 * d/dz_k = p_k * sum_j r_j - r_k, which is p - r when r sums to one.
 */
function klDivergence(z: Float64Array, r: Float64Array, dz: Float64Array): number {
  const lse = logSumExp(z);
  let total = 0;
  let mass = 0;
  for (let j = 0; j < z.length; j++) {
    const rj = at(r, j);
    mass += rj;
    if (rj > 0) total += rj * (Math.log(rj) - (at(z, j) - lse));
  }
  for (let k = 0; k < z.length; k++) dz[k] = Math.exp(at(z, k) - lse) * mass - at(r, k);
  return total;
}

/**
 * The objective of sample `i` given its logits `z`; writes d objective / d z into `dz` and returns
 * the objective's value.
 */
export function objectiveOfLogits(objective: InputObjective, i: number, z: Float64Array, dz: Float64Array): number {
  switch (objective.kind) {
    case 'ce':
      return crossEntropy(z, at(objective.labels, i), dz);
    case 'dlr':
      return dlrUntargeted(z, at(objective.labels, i), dz);
    case 'dlr-targeted':
      return dlrTargeted(z, at(objective.labels, i), at(objective.targets, i), dz);
    case 'margin':
      return margin(z, at(objective.labels, i), at(objective.targets, i), dz);
    case 'kl':
      return klDivergence(z, Float64Array.from(objective.reference.subarray(i * z.length, (i + 1) * z.length)), dz);
  }
}
