import type { Random } from '../util/random';
import type { ThreatModel } from './attack';

/**
 * Host-side geometry of the threat models, per sample of `d` values: steps, projections onto
 * the eps-ball intersected with the [0,1] box, and random starts.
 */

/** Largest |v| of each sample. */
export function linfNorms(v: Float32Array, n: number): Float32Array {
  const d = v.length / n;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let m = 0;
    for (let j = i * d; j < (i + 1) * d; j++) m = Math.max(m, Math.abs(v[j] ?? 0));
    out[i] = m;
  }
  return out;
}

export function l2Norms(v: Float32Array, n: number): Float32Array {
  const d = v.length / n;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = i * d; j < (i + 1) * d; j++) s += (v[j] ?? 0) ** 2;
    out[i] = Math.sqrt(s);
  }
  return out;
}

/** x + step * direction of steepest ascent for the norm: sign(g) for Linf, g / ||g|| for L2. */
export function ascend(
  x: Float32Array,
  grad: Float32Array,
  n: number,
  norm: ThreatModel['norm'],
  step: number | Float32Array,
): Float32Array {
  const d = x.length / n;
  const out = new Float32Array(x.length);
  const gn = norm === 'L2' ? l2Norms(grad, n) : undefined;
  for (let i = 0; i < n; i++) {
    const s = typeof step === 'number' ? step : (step[i] ?? 0);
    const scale = gn ? s / ((gn[i] ?? 0) + 1e-12) : s;
    for (let j = i * d; j < (i + 1) * d; j++) {
      const g = grad[j] ?? 0;
      out[j] = (x[j] ?? 0) + (gn ? scale * g : scale * Math.sign(g));
    }
  }
  return out;
}

/** Projects `xAdv` onto {z : ||z - x|| <= eps} and then into [0,1], in place; returns it. */
export function project(xAdv: Float32Array, x: Float32Array, n: number, threat: ThreatModel): Float32Array {
  const d = x.length / n;
  if (threat.norm === 'Linf') {
    for (let j = 0; j < x.length; j++) {
      const c = x[j] ?? 0;
      xAdv[j] = clamp01(Math.min(c + threat.eps, Math.max(c - threat.eps, xAdv[j] ?? 0)));
    }
    return xAdv;
  }
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = i * d; j < (i + 1) * d; j++) s += ((xAdv[j] ?? 0) - (x[j] ?? 0)) ** 2;
    const norm = Math.sqrt(s);
    const scale = norm > threat.eps ? threat.eps / (norm + 1e-12) : 1;
    for (let j = i * d; j < (i + 1) * d; j++) {
      const c = x[j] ?? 0;
      xAdv[j] = clamp01(c + ((xAdv[j] ?? 0) - c) * scale);
    }
  }
  return xAdv;
}

/**
 * A random point of the ball around x (uniform per coordinate for Linf, a random direction at a
 * radius uniform in [0, eps] for L2), clipped into [0,1]: the random start of PGD (Madry et al., 2018).
 */
export function randomStart(x: Float32Array, n: number, threat: ThreatModel, random: Random): Float32Array {
  const d = x.length / n;
  const out = new Float32Array(x.length);
  if (threat.norm === 'Linf') {
    for (let j = 0; j < x.length; j++) out[j] = (x[j] ?? 0) + random.uniform(-threat.eps, threat.eps);
    return project(out, x, n, threat);
  }
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = i * d; j < (i + 1) * d; j++) {
      out[j] = random.normal();
      s += (out[j] ?? 0) ** 2;
    }
    const radius = (threat.eps * random.next()) / (Math.sqrt(s) + 1e-12);
    for (let j = i * d; j < (i + 1) * d; j++) out[j] = (x[j] ?? 0) + (out[j] ?? 0) * radius;
  }
  return project(out, x, n, threat);
}

export function clamp01(v: number): number {
  return v < 0 ? 0 : v > 1 ? 1 : v;
}

/** Per sample: argmax of the logits equals the label. */
export function correct(logits: Float32Array, labels: Int32Array, n: number): Uint8Array {
  const k = logits.length / n;
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = argmax(logits, i * k, k) === labels[i] ? 1 : 0;
  return out;
}

export function argmax(values: Float32Array, offset: number, length: number): number {
  let best = 0;
  let bestValue = -Infinity;
  for (let c = 0; c < length; c++) {
    const v = values[offset + c] ?? -Infinity;
    if (v > bestValue) {
      bestValue = v;
      best = c;
    }
  }
  return best;
}

/** Copies sample i of `from` over sample i of `to` (both n x d). */
export function copySample(to: Float32Array, from: Float32Array, i: number, d: number): void {
  to.set(from.subarray(i * d, (i + 1) * d), i * d);
}
