import type { Attack, AttackContext, ThreatModel } from '../attacks/attack';
import { correct } from '../attacks/geometry';
import { batchOf, type Dataset } from '../data/dataset';
import type { Classifier } from '../model/classifier';

/**
 * Per-sample correctness of a model on a data set, clean (no attack) or under an attack, batch
 * by batch. `onBatch` reports the samples done so far.
 */
export async function correctness(
  model: Classifier,
  data: Dataset,
  attack: Attack | undefined,
  threat: ThreatModel,
  batchSize: number,
  context: AttackContext,
  onBatch?: (done: number) => void,
): Promise<Uint8Array> {
  const out = new Uint8Array(data.n);
  for (let start = 0; start < data.n; start += batchSize) {
    const idx = Array.from({ length: Math.min(batchSize, data.n - start) }, (_, i) => start + i);
    const batch = batchOf(data, idx);
    context.checkpoint?.();
    const flags = attack
      ? (await attack(model, batch, threat, { ...context, seed: context.seed + start })).robust
      : correct(await model.logits(batch.x, batch.n), batch.labels, batch.n);
    out.set(flags, start);
    onBatch?.(start + batch.n);
  }
  return out;
}

export function fraction(flags: Uint8Array): number {
  if (flags.length === 0) return 0;
  let s = 0;
  for (const f of flags) s += f;
  return s / flags.length;
}
