import type { ThreatModel } from '../attacks/attack';
import { ascend, project, randomStart } from '../attacks/geometry';
import type { Classifier } from '../model/classifier';
import type { Random } from '../util/random';

/**
 * The inner maximisations of adversarial training. Unlike the evaluation attacks, which keep the
 * first point that breaks the model, training uses the last iterate as the papers do.
 */

/** Madry et al. (2018): PGD with random start on the cross-entropy. */
export async function pgdExamples(
  model: Classifier,
  x: Float32Array,
  labels: Int32Array,
  n: number,
  threat: ThreatModel,
  steps: number,
  step: number,
  random: Random,
): Promise<Float32Array> {
  let xAdv = randomStart(x, n, threat, random);
  for (let s = 0; s < steps; s++) {
    const g = await model.inputGradient(xAdv, n, { kind: 'ce', labels });
    xAdv = project(ascend(xAdv, g.grad, n, threat.norm, step), x, n, threat);
  }
  return xAdv;
}

/** Wong et al. (2020): one FGSM step of size `step` from a uniform random start, projected. */
export async function fastExamples(
  model: Classifier,
  x: Float32Array,
  labels: Int32Array,
  n: number,
  threat: ThreatModel,
  step: number,
  random: Random,
): Promise<Float32Array> {
  return pgdExamples(model, x, labels, n, threat, 1, step, random);
}

/**
 * TRADES (Zhang et al., 2019): start at x plus small Gaussian noise (std 0.001) and ascend the KL
 * divergence from the clean prediction.
 */
export async function tradesExamples(
  model: Classifier,
  x: Float32Array,
  n: number,
  threat: ThreatModel,
  steps: number,
  step: number,
  random: Random,
): Promise<Float32Array> {
  const reference = softmaxRows(await model.logits(x, n), n);
  let xAdv: Float32Array = new Float32Array(x.length);
  for (let j = 0; j < x.length; j++) xAdv[j] = (x[j] ?? 0) + 0.001 * random.normal();
  xAdv = project(xAdv, x, n, threat);
  for (let s = 0; s < steps; s++) {
    const g = await model.inputGradient(xAdv, n, { kind: 'kl', reference });
    xAdv = project(ascend(xAdv, g.grad, n, threat.norm, step), x, n, threat);
  }
  return xAdv;
}

export function softmaxRows(logits: Float32Array, n: number): Float32Array {
  const k = logits.length / n;
  const out = new Float32Array(logits.length);
  for (let i = 0; i < n; i++) {
    let max = -Infinity;
    for (let c = 0; c < k; c++) max = Math.max(max, logits[i * k + c] ?? -Infinity);
    let sum = 0;
    for (let c = 0; c < k; c++) {
      const e = Math.exp((logits[i * k + c] ?? 0) - max);
      out[i * k + c] = e;
      sum += e;
    }
    for (let c = 0; c < k; c++) out[i * k + c] = (out[i * k + c] ?? 0) / sum;
  }
  return out;
}
