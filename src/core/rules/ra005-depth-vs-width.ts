import type { Rule } from './rule';
import { fittedSuggestion, SCALED_UP_PARAMS, sizeInForce } from './budget-support';
import { rangeOf } from './support';
import { formatDepths, OPTIMAL_DEPTHS, totalDepth } from '../whatif/variants';

const OPTIMAL_TOTAL = OPTIMAL_DEPTHS.reduce((a, b) => a + b, 0);

export const ra005: Rule = {
  code: 'RA005',
  guideline: 5,
  name: 'depth-vs-width',
  title: 'Deep and narrow beats wide and shallow at a fixed budget',
  level: 'network',
  facts: ['network.depths', 'network.widths', 'budget or parameter count'],
  defaultSeverity: 'warning',
  evidence:
    'At a fixed parameter budget, deepen proportionally to the optimal depth ratio until ' +
    'catastrophic overfitting appears and fill the rest of the budget with width: deep and ' +
    'narrow beats wide and shallow (Fig. 2c).',
  fixable: 'never',
  docs: {
    checks:
      `For 4-stage networks below the scaled-up size (${SCALED_UP_PARAMS / 1e6}M), reports ` +
      `a network with fewer blocks than the study's optimal D-5-8-13-1 (${OPTIMAL_TOTAL} ` +
      `blocks), and computes with the parameter counter the widths at which D-5-8-13-1 fits ` +
      `the same budget (the budget you set, else the model's own size).`,
    fails:
      'budget: 26M\nstages:\n  - { depth: 3, width: 256, stride: 1 }\n  - { depth: 4, ' +
      'width: 512, stride: 2 }\n  - { depth: 6, width: 1024, stride: 2 }\n  - { depth: 3, ' +
      'width: 2048, stride: 2 }',
    passes:
      'budget: 26M\nstages:\n  - { depth: 5, width: 288, stride: 2, groups: 2 }\n  - { ' +
      'depth: 8, width: 576, stride: 2, groups: 2 }\n  - { depth: 13, width: 1120, stride: ' +
      '2, groups: 2 }\n  - { depth: 1, width: 2160, stride: 2, groups: 2 }',
    howToFix:
      'Use the suggested depths and widths from the message: they are the widest ' +
      'D-5-8-13-1 network that fits your budget.',
  },
  check(context) {
    const { network, design } = context;
    const sized = sizeInForce(context);
    if (!design || !sized || design.stages.length !== 4 || sized.size >= SCALED_UP_PARAMS) return [];
    const depth = totalDepth(design);
    if (depth >= OPTIMAL_TOTAL) return [];
    const suggestion = fittedSuggestion(design, OPTIMAL_DEPTHS, sized.size);
    return [
      {
        range: rangeOf(network, 'stages', network),
        message:
          `${depth} blocks (${formatDepths(design.stages.map((s) => s.depth))}) is wide ` +
          `and shallow for ${sized.label}; deepen first` +
          (suggestion ? `: ${suggestion} fits` : ''),
      },
    ];
  },
};
