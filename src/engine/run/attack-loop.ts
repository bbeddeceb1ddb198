import type { ThreatModel } from '../attacks/attack';
import { runSequence, type NamedAttack } from '../attacks/autoattack';
import { batchOf, type Dataset } from '../data/dataset';
import { OverreportChecks } from '../evaluate/overreport-checks';
import type { Classifier } from '../model/classifier';
import { cancellationCheckpoint, RunCancelled } from '../util/cancellation';
import type { EvalResult } from './eval-result';
import { checkFiniteLogits } from './non-finite';
import type { RunListener, RunSummary } from './run-messages';

export interface AttackLoopOptions {
  readonly threat: ThreatModel;
  readonly attacks: readonly NamedAttack[];
  readonly batchSize: number;
  readonly seed: number;
  /** The model has its random initial weights (the over-report checks say so). */
  readonly untrained: boolean;
  /** Named in the message when the model's logits are not finite. */
  readonly weightsSource: string;
}

/**
 * Clean and robust accuracy of `attacked` on every image of `data`, batch by batch, with the
 * over-report checks around it: the loop every back end's evaluation shares.
 */
export async function attackDataset(
  attacked: Classifier,
  data: Dataset,
  options: AttackLoopOptions,
  listener: RunListener,
  isCancelled: () => boolean,
): Promise<{ status: RunSummary['status']; evaluation: EvalResult }> {
  const { attacks } = options;
  const started = Date.now();
  const checks = new OverreportChecks(options.untrained);
  const clean = new Uint8Array(data.n);
  const robust = new Uint8Array(data.n);
  const afterEach = attacks.map(() => new Uint8Array(data.n));
  const seconds = attacks.map(() => 0);
  const context = { seed: options.seed, checkpoint: cancellationCheckpoint(isCancelled) };
  let status: RunSummary['status'] = 'completed';
  let done = 0;
  try {
    for (let start = 0; start < data.n; start += options.batchSize) {
      const idx = Array.from({ length: Math.min(options.batchSize, data.n - start) }, (_, i) => start + i);
      const batch = batchOf(data, idx);
      await checkFiniteLogits(attacked, batch.x, batch.n, start, options.weightsSource);
      if (start === 0) await checks.before(attacked, batch);
      const timed = attacks.map((a, i) => ({
        name: a.name,
        run: async (...args: Parameters<typeof a.run>) => {
          // Long attacks on one batch would otherwise show no movement for minutes.
          listener({
            type: 'progress',
            phase: `${a.name} (${i + 1}/${attacks.length}) on ${args[1].n} images still robust`,
            done,
            total: data.n,
          });
          const t0 = Date.now();
          try {
            return await a.run(...args);
          } finally {
            seconds[i] = (seconds[i] ?? 0) + (Date.now() - t0) / 1000;
          }
        },
      }));
      const out = await runSequence(attacked, batch, options.threat, timed, context);
      clean.set(out.clean, start);
      robust.set(out.robust, start);
      out.afterEach.forEach((a, i) => afterEach[i]?.set(a.robust, start));
      done = start + batch.n;
      const elapsed = (Date.now() - started) / 1000;
      listener({
        type: 'progress',
        phase: 'attacking',
        done,
        total: data.n,
        etaSeconds: (elapsed / done) * (data.n - done),
        imagesPerSecond: done / Math.max(elapsed, 1e-3),
      });
    }
  } catch (error) {
    if (!(error instanceof RunCancelled)) throw error;
    status = 'cancelled';
  }
  if (status === 'completed') await checks.after(attacked);
  const share = (flags: Uint8Array): number =>
    done === 0 ? 0 : flags.subarray(0, done).reduce((s, f) => s + f, 0) / done;
  const evaluation: EvalResult = {
    threat: options.threat,
    samples: done,
    cleanAccuracy: share(clean),
    attacks: attacks.map((a, i) => ({
      name: a.name,
      robustAccuracy: share(afterEach[i] ?? new Uint8Array(0)),
      seconds: seconds[i] ?? 0,
    })),
    robustAccuracy: share(robust),
    perSample: {
      indices: Array.from({ length: done }, (_, i) => i),
      clean: Array.from(clean.subarray(0, done)),
      robust: Array.from(robust.subarray(0, done)),
    },
    seconds: (Date.now() - started) / 1000,
    warnings: checks.finish(
      share(clean),
      done,
      attacked.numClasses,
      attacks.map((a) => a.name),
      afterEach,
    ),
  };
  return { status, evaluation };
}
