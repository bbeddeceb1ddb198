import type { Classifier, InputGradient, InputObjective, ModelState } from '../../../src/engine/model/classifier';
import { Random } from '../../../src/engine/util/random';

// Real classifiers built around another one, each with one of the faults that make an evaluation
// over-report robustness. Every gradient is the true gradient of the composite model.

/** Gaussian noise on the input of every call (a randomised defence). */
export function noisyInput(base: Classifier, sigma: number, seed: number): Classifier {
  const random = new Random(seed);
  const noisy = (x: Float32Array): Float32Array => Float32Array.from(x, (v) => v + sigma * random.normal());
  return {
    inputShape: base.inputShape,
    numClasses: base.numClasses,
    logits: (x, n) => base.logits(noisy(x), n),
    // d f(x + noise) / dx = f'(x + noise).
    inputGradient: (x, n, objective) => base.inputGradient(noisy(x), n, objective),
  };
}

/** Inputs quantised to `levels` grey levels: piecewise constant, so the input gradient is zero. */
export function quantisedInput(base: Classifier, levels: number): Classifier {
  const step = levels - 1;
  const quantise = (x: Float32Array): Float32Array => Float32Array.from(x, (v) => Math.round(v * step) / step);
  return {
    inputShape: base.inputShape,
    numClasses: base.numClasses,
    logits: (x, n) => base.logits(quantise(x), n),
    async inputGradient(x, n, objective): Promise<InputGradient> {
      const g = await base.inputGradient(quantise(x), n, objective);
      return { loss: g.loss, logits: g.logits, grad: new Float32Array(x.length) };
    },
  };
}

/** Inputs scaled by `factor` before the model (a model fed pixels in the wrong range). */
export function scaledInput(base: Classifier, factor: number): Classifier {
  const scale = (x: Float32Array): Float32Array => Float32Array.from(x, (v) => v * factor);
  return {
    inputShape: base.inputShape,
    numClasses: base.numClasses,
    logits: (x, n) => base.logits(scale(x), n),
    async inputGradient(x, n, objective): Promise<InputGradient> {
      const g = await base.inputGradient(scale(x), n, objective);
      return { loss: g.loss, logits: g.logits, grad: Float32Array.from(g.grad, (v) => v * factor) };
    },
  };
}

function softmaxRows(z: Float32Array, n: number): Float32Array {
  const k = z.length / n;
  const p = new Float32Array(z.length);
  for (let i = 0; i < n; i++) {
    let max = -Infinity;
    for (let j = 0; j < k; j++) max = Math.max(max, z[i * k + j] ?? 0);
    let sum = 0;
    for (let j = 0; j < k; j++) sum += Math.exp((z[i * k + j] ?? 0) - max);
    for (let j = 0; j < k; j++) p[i * k + j] = Math.exp((z[i * k + j] ?? 0) - max) / sum;
  }
  return p;
}

/** The engine's objectives (CE and DLR) on outputs `o` of one row, and their gradient with respect to `o`. */
function objectiveOnOutputs(o: Float32Array, label: number, kind: 'ce' | 'dlr'): { loss: number; dOut: Float64Array } {
  const k = o.length;
  const dOut = new Float64Array(k);
  if (kind === 'ce') {
    const p = softmaxRows(o, 1);
    for (let j = 0; j < k; j++) dOut[j] = (p[j] ?? 0) - (j === label ? 1 : 0);
    return { loss: -Math.log(p[label] ?? 1e-30), dOut };
  }
  const order = Array.from({ length: k }, (_, j) => j).sort((a, b) => (o[b] ?? 0) - (o[a] ?? 0));
  const other = order.find((j) => j !== label) ?? 0;
  const [p1, , p3] = order as [number, number, number];
  const num = (o[label] ?? 0) - (o[other] ?? 0);
  const den = (o[p1] ?? 0) - (o[p3] ?? 0) + 1e-12;
  // loss = -num / den.
  dOut[label] = (dOut[label] ?? 0) - 1 / den;
  dOut[other] = (dOut[other] ?? 0) + 1 / den;
  dOut[p1] = (dOut[p1] ?? 0) + num / (den * den);
  dOut[p3] = (dOut[p3] ?? 0) - num / (den * den);
  return { loss: -num / den, dOut };
}

/**
 * A model ending in a softmax: outputs are probabilities. Its input gradients use the chain rule
 * through the softmax, with the base model's logit-difference gradients (softmax is shift invariant,
 * so d(z_j - z_y)/dx for every j is all it needs). CE and DLR only, what the checks use.
 */
export function softmaxOutput(base: Classifier): Classifier {
  return {
    inputShape: base.inputShape,
    numClasses: base.numClasses,
    logits: async (x, n) => softmaxRows(await base.logits(x, n), n),
    async inputGradient(x: Float32Array, n: number, objective: InputObjective): Promise<InputGradient> {
      if (objective.kind !== 'ce' && objective.kind !== 'dlr') throw new Error(`no ${objective.kind} objective here`);
      const k = base.numClasses;
      const d = x.length / n;
      const labels = objective.labels;
      const diffs: Float32Array[] = [];
      for (let j = 0; j < k; j++) {
        const targets = new Int32Array(n).fill(j);
        diffs.push((await base.inputGradient(x, n, { kind: 'margin', labels, targets })).grad);
      }
      const p = softmaxRows(await base.logits(x, n), n);
      const loss = new Float32Array(n);
      const grad = new Float32Array(x.length);
      for (let i = 0; i < n; i++) {
        const row = p.subarray(i * k, (i + 1) * k);
        const { loss: l, dOut } = objectiveOnOutputs(row, labels[i] ?? 0, objective.kind);
        loss[i] = l;
        // dL/dx = sum_j dOut_j p_j (G_j - sum_m p_m G_m), G_j = d(z_j - z_y)/dx.
        let total = 0;
        for (let j = 0; j < k; j++) total += (dOut[j] ?? 0) * (row[j] ?? 0);
        for (let j = 0; j < k; j++) {
          const w = (dOut[j] ?? 0) * (row[j] ?? 0) - total * (row[j] ?? 0);
          const g = diffs[j] ?? new Float32Array(0);
          for (let t = i * d; t < (i + 1) * d; t++) grad[t] = (grad[t] ?? 0) + w * (g[t] ?? 0);
        }
      }
      return { loss, grad, logits: p };
    },
  };
}

/**
 * Like BatchNorm in training mode: every call folds the batch mean into running statistics the
 * outputs do not use, exposed through `getState` as a trainable model exposes its buffers.
 */
export function statefulModel(base: Classifier): Classifier & { getState(): Promise<ModelState> } {
  const running = new Float32Array(1);
  const update = (x: Float32Array): void => {
    const mean = x.reduce((s, v) => s + v, 0) / Math.max(x.length, 1);
    running[0] = 0.9 * (running[0] ?? 0) + 0.1 * mean;
  };
  return {
    inputShape: base.inputShape,
    numClasses: base.numClasses,
    logits: (x, n) => {
      update(x);
      return base.logits(x, n);
    },
    inputGradient: (x, n, objective) => {
      update(x);
      return base.inputGradient(x, n, objective);
    },
    getState: () =>
      Promise.resolve({
        tensors: new Map([['bn.running_mean', { shape: [1], data: Float32Array.from(running) }]]),
      }),
  };
}

/** A model whose input brightness drifts with every gradient call (state used in the output, no getState). */
export function driftingModel(base: Classifier): Classifier {
  let calls = 0;
  const shift = (x: Float32Array): Float32Array => Float32Array.from(x, (v) => v + 0.02 * calls);
  return {
    inputShape: base.inputShape,
    numClasses: base.numClasses,
    logits: (x, n) => base.logits(shift(x), n),
    inputGradient: (x, n, objective) => {
      calls += 1;
      return base.inputGradient(shift(x), n, objective);
    },
  };
}
