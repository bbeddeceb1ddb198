import type { ResidualDesign } from '../build/residual-design';
import { designParams } from '../whatif/design-params';
import { fitWidthsToBudget, formatDepths, formatWidths, withDepths } from '../whatif/variants';
import type { RuleContext } from './rule';
import { millions } from './support';

/**
 * The study compared models at ~26M, ~46M and ~104M parameters. A model (or budget) of this size
 * or more is treated as scaled up from the ~26M base (guidelines 17 and 18 apply, 5 does not).
 */
export const SCALED_UP_PARAMS = 40_000_000;

/** The size the budget-aware rules reason about: the budget in force, else the model's own size. */
export function sizeInForce(context: RuleContext): { size: number; label: string } | undefined {
  if (context.budget !== undefined) return { size: context.budget, label: `your ${millions(context.budget)} budget` };
  if (context.params !== undefined) return { size: context.params, label: `this model's ${millions(context.params)}` };
  return undefined;
}

/** "D-5-8-13-1 at W-232-464-928-1856 (25.91M)": the widest design with these depths within `size`. */
export function fittedSuggestion(design: ResidualDesign, depths: readonly number[], size: number): string | undefined {
  const fitted = fitWidthsToBudget(withDepths(design, depths), size);
  if (!fitted) return undefined;
  return `${formatDepths(depths)} at ${formatWidths(fitted.design)} (${millions(fitted.params)})`;
}

export function paramsOf(design: ResidualDesign): number {
  return designParams(design);
}
