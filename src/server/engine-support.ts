import type { ModelSummary } from '../core';
import { valueOf } from '../core/ir/fact';
import { PASS_THROUGH } from '../engine/model/pass-through';

/**
 * Why the engine cannot build this model from the IR, or undefined when it can: every count must
 * be known (an unknown one hides a layer), every layer one it has a kernel for (torch.nn classes
 * counted but not built, such as Conv1d or ConvTranspose2d), and no dense connections between
 * blocks. A TF.js model.json is loaded as it is, with its weights.
 */
export function engineBuildProblem(summary: ModelSummary): string | undefined {
  const network = summary.network;
  if (network.format === 'tfjs') return undefined;
  if (!summary.total.known) return `some of its layers are not statically known (${summary.total.reason})`;
  const lacking = summary.rows.find((r) => r.layer.kind === 'other' && !PASS_THROUGH.has(r.layer.className));
  if (lacking?.layer.kind === 'other') return `the engine has no ${lacking.layer.className} (${lacking.layer.name})`;
  if (network.stages.some((s) => (valueOf(s.facts.denseRatio) ?? 0) > 0))
    return 'the engine does not build dense connections between blocks yet';
  return undefined;
}
