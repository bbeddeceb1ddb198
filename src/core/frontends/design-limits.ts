import type { StageDesign } from '../build/residual-design';
import type { Diagnostic } from '../ir/diagnostic';
import { pointRange, type SourceRange } from '../ir/source';

/**
 * Budgets on what a spec or Hydra config may ask the reader to build. Every stage block becomes
 * ~10 IR layers and a summary row each, so the block count bounds the memory and time of an
 * analysis; the deepest published residual networks have a few hundred blocks (ResNet-1001: 333),
 * so these leave ample room for real designs while a `depth: 100000000` cannot exhaust memory.
 */
export const MAX_STAGES = 20_000;
export const MAX_TOTAL_BLOCKS = 20_000;

/** RL111: the file asks for more than an analysis budget allows; nothing is built. */
export function checkDesignSize(
  file: string,
  stages: readonly StageDesign[],
  stagesRange: SourceRange | undefined,
): Diagnostic | undefined {
  const over = (range: SourceRange | undefined, message: string): Diagnostic => ({
    file,
    range: range ?? pointRange(0, 0),
    severity: 'error',
    code: 'RL111',
    message,
  });
  if (stages.length > MAX_STAGES) {
    return over(
      stagesRange,
      `${stages.length} stages; Robustness Lens analyses at most ` +
        `${MAX_STAGES.toLocaleString('en-US')} stages, so this model is not read`,
    );
  }
  let blocks = 0;
  for (const [i, stage] of stages.entries()) {
    blocks += stage.depth;
    if (blocks > MAX_TOTAL_BLOCKS) {
      const range = stage.factSources?.depth ?? stage.source;
      return over(
        range,
        `stage ${i + 1} (depth ${stage.depth}) brings the model to ` +
          `${blocks.toLocaleString('en-US')} blocks; Robustness Lens analyses at most ` +
          `${MAX_TOTAL_BLOCKS.toLocaleString('en-US')} blocks per model, so this model is ` +
          `not read`,
      );
    }
  }
  return undefined;
}
