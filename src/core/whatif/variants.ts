import type { ResidualDesign, StageDesign } from '../build/residual-design';
import { pythonRound } from '../util/python-round';
import { designParams } from './design-params';

/**
 * Design variants the budget-aware guidelines compare against, each counted with the real
 * counter. Widths stay multiples of 8 (RobArch's ConfigurableModel requires it) with inner
 * widths divisible by their groups.
 */

/** The depth ratio the RobArch study found best for 4-stage networks (guideline 2). */
export const OPTIMAL_DEPTHS = [5, 8, 13, 1] as const;

/** `D-5-8-13-1` scaled by `m`, as the study deepens proportionally (M2 used x1.4: D-7-11-18-1). */
export function proportionalDepths(m: number): number[] {
  return OPTIMAL_DEPTHS.map((d) => Math.max(1, Math.round(d * m)));
}

export function formatDepths(depths: readonly number[]): string {
  return `D-${depths.join('-')}`;
}

export function formatWidths(design: ResidualDesign): string {
  return `W-${design.stages.map((s) => s.width).join('-')}`;
}

export function totalDepth(design: ResidualDesign): number {
  return design.stages.reduce((sum, s) => sum + s.depth, 0);
}

function withStage(stage: StageDesign, width: number): StageDesign | undefined {
  const innerWidth = pythonRound(width * stage.bottleneckMultiplier);
  if (innerWidth < stage.groups || innerWidth % stage.groups !== 0) return undefined;
  return { ...stage, width, innerWidth };
}

/** The valid width nearest to `target`: a multiple of 8 whose inner width divides by the groups. */
function nearestValidStage(stage: StageDesign, target: number): StageDesign | undefined {
  const base = Math.max(8, Math.round(target / 8) * 8);
  for (let step = 0; step < 64; step++) {
    for (const width of step === 0 ? [base] : [base + 8 * step, base - 8 * step]) {
      if (width < 8) continue;
      const candidate = withStage(stage, width);
      if (candidate) return candidate;
    }
  }
  return undefined;
}

export function withDepths(design: ResidualDesign, depths: readonly number[]): ResidualDesign {
  return { ...design, stages: design.stages.map((s, i) => ({ ...s, depth: depths[i] ?? s.depth })) };
}

export function withKernel(design: ResidualDesign, kernel: number): ResidualDesign {
  return { ...design, stages: design.stages.map((s) => ({ ...s, kernel })) };
}

export function withWidthScale(design: ResidualDesign, scale: number): ResidualDesign | undefined {
  const stages: StageDesign[] = [];
  for (const stage of design.stages) {
    const scaled = nearestValidStage(stage, stage.width * scale);
    if (!scaled) return undefined;
    stages.push(scaled);
  }
  return { ...design, stages };
}

/**
 * The widest version of `design` (all stage widths scaled by one factor) within `budget`
 * parameters, or undefined when even a very narrow one does not fit.
 */
export function fitWidthsToBudget(
  design: ResidualDesign,
  budget: number,
): { design: ResidualDesign; params: number } | undefined {
  let low = 0.05;
  let high = 8;
  let best: { design: ResidualDesign; params: number } | undefined;
  for (let i = 0; i < 40 && high - low > 1e-3; i++) {
    const mid = (low + high) / 2;
    const candidate = withWidthScale(design, mid);
    const params = candidate ? designParams(candidate) : Infinity;
    if (candidate && params <= budget) {
      best = { design: candidate, params };
      low = mid;
    } else {
      high = mid;
    }
  }
  return best;
}
