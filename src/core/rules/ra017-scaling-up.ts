import type { Rule } from './rule';
import { fittedSuggestion, SCALED_UP_PARAMS, sizeInForce } from './budget-support';
import { rangeOf } from './support';
import { formatDepths, proportionalDepths, totalDepth } from '../whatif/variants';

/** RobArch-M's depth: the optimal D-5-8-13-1 deepened by 1.4 (the study's M2). */
export const SCALED_DEPTHS = proportionalDepths(1.4);
const SCALED_TOTAL = SCALED_DEPTHS.reduce((a, b) => a + b, 0);

export const ra017: Rule = {
  code: 'RA017',
  guideline: 17,
  name: 'scaling-up',
  title: 'Scale up by deepening the optimal depth configuration',
  level: 'scaling',
  facts: ['network.depths', 'network.widths', 'budget or parameter count'],
  defaultSeverity: 'warning',
  evidence:
    'When scaling up, bigger kernels, depth and width all help, but proportionally ' +
    'deepening the optimal depth configuration helps most: M2 (depth x1.4) > M3 (width) > ' +
    'M1 (kernel 5).',
  fixable: 'never',
  docs: {
    checks:
      `For 4-stage networks of ${SCALED_UP_PARAMS / 1e6}M parameters or more (or with such ` +
      `a budget), reports a network shallower than ${formatDepths(SCALED_DEPTHS)} (the ` +
      `optimal depths x1.4, ${SCALED_TOTAL} blocks), with the widths at which that depth ` +
      `fits the same budget, computed with the parameter counter.`,
    fails:
      'budget: 46M\nstages:\n  - { depth: 5, width: 384, stride: 2, groups: 2 }\n  - { ' +
      'depth: 8, width: 768, stride: 2, groups: 2 }\n  - { depth: 13, width: 1536, stride: ' +
      '2, groups: 2 }\n  - { depth: 1, width: 3072, stride: 2, groups: 2 }',
    passes:
      'budget: 46M\nstages:\n  - { depth: 7, width: 336, stride: 2, groups: 2 }\n  - { ' +
      'depth: 11, width: 672, stride: 2, groups: 2 }\n  - { depth: 18, width: 1328, ' +
      'stride: 2, groups: 2 }\n  - { depth: 1, width: 2624, stride: 2, groups: 2 }',
    howToFix:
      'Deepen proportionally first (D-7-11-18-1, as RobArch-M and RobArch-L), then use ' +
      'width for the rest of the budget.',
  },
  check(context) {
    const { network, design } = context;
    const sized = sizeInForce(context);
    if (!design || !sized || design.stages.length !== 4 || sized.size < SCALED_UP_PARAMS) return [];
    const depth = totalDepth(design);
    if (depth >= SCALED_TOTAL) return [];
    const suggestion = fittedSuggestion(design, SCALED_DEPTHS, sized.size);
    return [
      {
        range: rangeOf(network, 'stages', network),
        message:
          `A scaled-up model (${sized.label}) with ${depth} blocks ` +
          `(${formatDepths(design.stages.map((s) => s.depth))}); deepen first` +
          (suggestion ? `: ${suggestion} fits` : ''),
      },
    ];
  },
};
