import type { Classifier, InputObjective } from '../model/classifier';
import { Random } from '../util/random';
import type { AttackBatch, AttackContext, AttackOutcome, ThreatModel } from './attack';
import { gatherRows, rankClasses, setIndices } from './batch-rows';
import { ascend, copySample, correct, l2Norms, linfNorms, project } from './geometry';

export interface ApgdOptions {
  readonly iterations: number;
  readonly restarts: number;
  /** Fraction of steps that must raise the loss between checkpoints, else the step halves. */
  readonly rho: number;
  /** Momentum weight alpha of the update (0.75 in the paper). */
  readonly momentum: number;
}

export const APGD_DEFAULTS: ApgdOptions = { iterations: 100, restarts: 1, rho: 0.75, momentum: 0.75 };

/**
 * The checkpoints of APGD (Croce and Hein, "Reliable evaluation of adversarial robustness with
 * an ensemble of diverse parameter-free attacks", ICML 2020, sec. 3.2) as the reference code
 * schedules them: a first period of 22% of the iterations, each next period 3% shorter, never
 * shorter than 6%.
 */
export function apgdPeriods(iterations: number): { first: number; decrease: number; minimum: number } {
  return {
    first: Math.max(Math.floor(0.22 * iterations), 1),
    decrease: Math.max(Math.floor(0.03 * iterations), 1),
    minimum: Math.max(Math.floor(0.06 * iterations), 1),
  };
}

/**
 * One run of Auto-PGD on every sample of the batch for a given objective (CE, DLR or targeted
 * DLR), following Algorithm 1 of the paper: step size 2*eps, the momentum update, halving the
 * step and restarting from the best point when too few steps improved the loss or when neither
 * the step nor the best loss changed since the last checkpoint.
 */
export async function apgdRun(
  model: Classifier,
  batch: AttackBatch,
  threat: ThreatModel,
  objective: InputObjective,
  random: Random,
  context: AttackContext,
  options: ApgdOptions,
): Promise<AttackOutcome & { readonly bestLoss: Float32Array }> {
  const { x, labels, n } = batch;
  const d = x.length / n;
  const N = options.iterations;

  // Random start on the sphere of radius eps (scaled so the largest coordinate is eps for Linf).
  const start = new Float32Array(x.length);
  for (let j = 0; j < x.length; j++) start[j] = threat.norm === 'Linf' ? 2 * random.next() - 1 : random.normal();
  const scale = threat.norm === 'Linf' ? linfNorms(start, n) : l2Norms(start, n);
  let xAdv: Float32Array = new Float32Array(x.length);
  for (let i = 0; i < n; i++) {
    const s = threat.eps / ((scale[i] ?? 0) + 1e-12);
    for (let j = i * d; j < (i + 1) * d; j++) xAdv[j] = (x[j] ?? 0) + (start[j] ?? 0) * s;
  }
  xAdv = project(xAdv, x, n, threat);

  const xBestAdv = Float32Array.from(x);
  const robust = new Uint8Array(n).fill(1);
  const stepSize = new Float32Array(n).fill(2 * threat.eps);
  const lossSteps: Float32Array[] = [];

  context.checkpoint?.();
  let g = await model.inputGradient(xAdv, n, objective);
  markBroken(g.logits, xAdv);
  const xBest = Float32Array.from(xAdv);
  const gradBest = Float32Array.from(g.grad);
  const lossBest = Float32Array.from(g.loss);
  lossSteps.push(Float32Array.from(g.loss));

  const periods = apgdPeriods(N);
  let period = periods.first;
  let counter = 0;
  let lossBestLastCheck = Float32Array.from(lossBest);
  let reducedLastCheck = new Uint8Array(n);
  let xPrev: Float32Array = Float32Array.from(xAdv);
  let grad: Float32Array = Float32Array.from(g.grad);

  // As the reference code: N updates, each followed by a gradient at the new point.
  for (let it = 0; it < N; it++) {
    context.checkpoint?.();
    // z = P(x_k + eta * step(grad)); x_{k+1} = P(x_k + a (z - x_k) + (1 - a)(x_k - x_{k-1})).
    const z = project(ascend(xAdv, grad, n, threat.norm, stepSize), x, n, threat);
    const a = it > 0 ? options.momentum : 1;
    const next = new Float32Array(x.length);
    for (let j = 0; j < x.length; j++) {
      const cur = xAdv[j] ?? 0;
      next[j] = cur + ((z[j] ?? 0) - cur) * a + (cur - (xPrev[j] ?? 0)) * (1 - a);
    }
    project(next, x, n, threat);
    xPrev = xAdv;
    xAdv = next;

    g = await model.inputGradient(xAdv, n, objective);
    grad = Float32Array.from(g.grad);
    markBroken(g.logits, xAdv);
    lossSteps.push(Float32Array.from(g.loss));
    for (let i = 0; i < n; i++) {
      if ((g.loss[i] ?? -Infinity) > (lossBest[i] ?? -Infinity)) {
        lossBest[i] = g.loss[i] ?? -Infinity;
        copySample(xBest, xAdv, i, d);
        gradBest.set(grad.subarray(i * d, (i + 1) * d), i * d);
      }
    }

    counter += 1;
    if (counter === period) {
      const reduce = new Uint8Array(n);
      for (let i = 0; i < n; i++) {
        // Condition 1: at most rho * period of the last `period` steps raised the loss.
        let increases = 0;
        const last = lossSteps.length - 1;
        for (let c = 0; c < period; c++) {
          if ((lossSteps[last - c]?.[i] ?? 0) > (lossSteps[last - c - 1]?.[i] ?? Infinity)) increases += 1;
        }
        const oscillating = increases <= period * options.rho;
        // Condition 2: the step was not reduced last time and the best loss did not improve.
        const stalled = !reducedLastCheck[i] && (lossBestLastCheck[i] ?? 0) >= (lossBest[i] ?? 0);
        reduce[i] = oscillating || stalled ? 1 : 0;
      }
      reducedLastCheck = reduce;
      lossBestLastCheck = Float32Array.from(lossBest);
      for (let i = 0; i < n; i++) {
        if (!reduce[i]) continue;
        stepSize[i] = (stepSize[i] ?? 0) / 2;
        copySample(xAdv, xBest, i, d);
        grad.set(gradBest.subarray(i * d, (i + 1) * d), i * d);
      }
      counter = 0;
      period = Math.max(period - periods.decrease, periods.minimum);
    }
  }
  return { xAdv: xBestAdv, robust, bestLoss: lossBest };

  function markBroken(logits: Float32Array, at: Float32Array): void {
    const ok = correct(logits, labels, n);
    for (let i = 0; i < n; i++) {
      if (robust[i] && !ok[i]) {
        robust[i] = 0;
        copySample(xBestAdv, at, i, d);
      }
    }
  }
}

/** APGD-CE (restarts run only on the samples no earlier restart broke). */
export async function apgdCe(
  model: Classifier,
  batch: AttackBatch,
  threat: ThreatModel,
  context: AttackContext,
  options: ApgdOptions = APGD_DEFAULTS,
): Promise<AttackOutcome> {
  return restartsOnRobust(model, batch, context, options.restarts, (sub, random) =>
    apgdRun(model, sub, threat, { kind: 'ce', labels: sub.labels }, random, context, options),
  );
}

/** APGD with the untargeted DLR loss. */
export async function apgdDlr(
  model: Classifier,
  batch: AttackBatch,
  threat: ThreatModel,
  context: AttackContext,
  options: ApgdOptions = APGD_DEFAULTS,
): Promise<AttackOutcome> {
  return restartsOnRobust(model, batch, context, options.restarts, (sub, random) =>
    apgdRun(model, sub, threat, { kind: 'dlr', labels: sub.labels }, random, context, options),
  );
}

export interface ApgdTargetedOptions extends ApgdOptions {
  /** Targets are the 2nd..(targets+1)-th most likely classes on the clean image. */
  readonly targets: number;
}

export const APGD_T_DEFAULTS: ApgdTargetedOptions = { ...APGD_DEFAULTS, targets: 9 };

/**
 * APGD-T: APGD on the targeted DLR loss, once per target class, the targets being the classes the
 * clean image ranks 2nd, 3rd, ... (Croce and Hein, 2020, sec. 4); each target runs only on the
 * samples the previous ones left robust.
 */
export async function apgdTargeted(
  model: Classifier,
  batch: AttackBatch,
  threat: ThreatModel,
  context: AttackContext,
  options: ApgdTargetedOptions = APGD_T_DEFAULTS,
): Promise<AttackOutcome> {
  const { x, labels, n } = batch;
  const d = x.length / n;
  const logits = await model.logits(x, n);
  const k = logits.length / n;
  const ranked = rankClasses(logits, n, k);
  const xAdv = Float32Array.from(x);
  const robust = correct(logits, labels, n);
  const targetCount = Math.min(options.targets, k - 1);
  for (let t = 0; t < targetCount; t++) {
    for (let r = 0; r < Math.max(1, options.restarts); r++) {
      const idx = setIndices(robust);
      if (idx.length === 0) return { xAdv, robust };
      const sub = subBatch(batch, idx);
      const targets = Int32Array.from(idx, (i) => ranked[i * k + t + 1] ?? 0);
      const out = await apgdRun(
        model,
        sub,
        threat,
        { kind: 'dlr-targeted', labels: sub.labels, targets },
        new Random(context.seed + r),
        context,
        options,
      );
      idx.forEach((i, s) => {
        if (!out.robust[s]) {
          robust[i] = 0;
          xAdv.set(out.xAdv.subarray(s * d, (s + 1) * d), i * d);
        }
      });
    }
  }
  return { xAdv, robust };
}

async function restartsOnRobust(
  model: Classifier,
  batch: AttackBatch,
  context: AttackContext,
  restarts: number,
  run: (sub: AttackBatch, random: Random) => Promise<AttackOutcome>,
): Promise<AttackOutcome> {
  const { x, n } = batch;
  const d = x.length / n;
  const xAdv = Float32Array.from(x);
  const robust = correct(await model.logits(x, n), batch.labels, n);
  const random = new Random(context.seed);
  for (let r = 0; r < Math.max(1, restarts); r++) {
    const idx = setIndices(robust);
    if (idx.length === 0) break;
    const out = await run(subBatch(batch, idx), random);
    idx.forEach((i, s) => {
      if (!out.robust[s]) {
        robust[i] = 0;
        xAdv.set(out.xAdv.subarray(s * d, (s + 1) * d), i * d);
      }
    });
  }
  return { xAdv, robust };
}

/** The samples at `idx`, packed into one batch. */
export function subBatch(batch: AttackBatch, idx: ArrayLike<number>): AttackBatch {
  return {
    x: gatherRows(batch.x, idx, batch.x.length / batch.n),
    labels: gatherRows(batch.labels, idx, 1),
    n: idx.length,
  };
}
