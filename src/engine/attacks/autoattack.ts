import type { Classifier } from '../model/classifier';
import { memoryTraceEnabled, resetPeak, traceMemory } from '../util/memory-trace';
import { apgdCe, apgdDlr, apgdTargeted, APGD_DEFAULTS, APGD_T_DEFAULTS, subBatch } from './apgd';
import type { Attack, AttackBatch, AttackContext, ThreatModel } from './attack';
import { setIndices } from './batch-rows';
import { fabTargeted } from './fab';
import { correct } from './geometry';
import { fgsm, pgd } from './pgd';
import { squareAttack } from './square';

/** The attacks an evaluation can run, by the names the CLI and the editor use. */
export type AttackName = 'fgsm' | 'pgd' | 'apgd-ce' | 'apgd-dlr' | 'apgd-t' | 'fab-t' | 'square';

export interface NamedAttack {
  readonly name: AttackName;
  readonly run: Attack;
}

/** Each attack at the settings of the reference protocols (AutoAttack "standard", PGD-20). */
export function attackByName(name: AttackName, pgdSteps = 20): NamedAttack {
  switch (name) {
    case 'fgsm':
      return { name, run: fgsm };
    case 'pgd':
      return {
        name,
        run: (m, b, t, c) => pgd(m, b, t, c, { steps: pgdSteps, randomStart: true, restarts: 1, loss: 'ce' }),
      };
    case 'apgd-ce':
      return { name, run: (m, b, t, c) => apgdCe(m, b, t, c, APGD_DEFAULTS) };
    case 'apgd-dlr':
      return { name, run: (m, b, t, c) => apgdDlr(m, b, t, c, APGD_DEFAULTS) };
    case 'apgd-t':
      return { name, run: (m, b, t, c) => apgdTargeted(m, b, t, c, APGD_T_DEFAULTS) };
    case 'fab-t':
      return { name, run: (m, b, t, c) => fabTargeted(m, b, t, c) };
    case 'square':
      return { name, run: (m, b, t, c) => squareAttack(m, b, t, c) };
  }
}

/**
 * AutoAttack's "standard" version (Croce and Hein, ICML 2020): APGD-CE, then APGD-T, FAB-T and
 * Square, each run only on the points every earlier attack left robust. Robust accuracy is the
 * share of points no attack broke, so it is never above any single attack's.
 */
export const AUTOATTACK_STANDARD: readonly AttackName[] = ['apgd-ce', 'apgd-t', 'fab-t', 'square'];

export interface SequenceResult {
  readonly clean: Uint8Array;
  /** Per attack, in order: the points still robust after it and every earlier one. */
  readonly afterEach: ReadonlyArray<{ readonly name: AttackName; readonly robust: Uint8Array }>;
  readonly robust: Uint8Array;
  readonly xAdv: Float32Array;
}

/** Runs attacks one after another on the points still robust, as AutoAttack does. */
export async function runSequence(
  model: Classifier,
  batch: AttackBatch,
  threat: ThreatModel,
  attacks: readonly NamedAttack[],
  context: AttackContext,
): Promise<SequenceResult> {
  const { x, n } = batch;
  const d = x.length / n;
  context.checkpoint?.();
  const clean = correct(await model.logits(x, n), batch.labels, n);
  const robust = Uint8Array.from(clean);
  const xAdv = Float32Array.from(x);
  const afterEach: { name: AttackName; robust: Uint8Array }[] = [];
  const trace = memoryTraceEnabled();
  for (const attack of attacks) {
    const idx = setIndices(robust);
    if (trace) resetPeak();
    if (idx.length > 0) {
      // The reference seeds each attack alike, so the order of attacks does not shift randomness.
      const out = await attack.run(model, subBatch(batch, idx), threat, context);
      idx.forEach((i, s) => {
        if (!out.robust[s]) {
          robust[i] = 0;
          xAdv.set(out.xAdv.subarray(s * d, (s + 1) * d), i * d);
        }
      });
    }
    afterEach.push({ name: attack.name, robust: Uint8Array.from(robust) });
    if (trace) traceMemory(`${attack.name} on ${idx.length} points`);
  }
  return { clean, afterEach, robust, xAdv };
}
