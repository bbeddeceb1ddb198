import type { Rule } from './rule';
import { fittedSuggestion, sizeInForce } from './budget-support';
import { SCALED_DEPTHS } from './ra017-scaling-up';
import { rangeOf } from './support';
import { formatDepths, totalDepth } from '../whatif/variants';

const SATURATION_TOTAL = SCALED_DEPTHS.reduce((a, b) => a + b, 0);

export const ra018: Rule = {
  code: 'RA018',
  guideline: 18,
  name: 'depth-saturation',
  title: 'Widen once depth saturates',
  level: 'scaling',
  facts: ['network.depths', 'network.widths', 'budget or parameter count'],
  defaultSeverity: 'warning',
  evidence:
    'Purely adding depth to fill a budget saturates: L3 and L4 (depth x1.6 and x2) fell ' +
    'below L2; widen the channels when going deeper stops helping.',
  fixable: 'never',
  docs: {
    checks:
      `For 4-stage networks deeper than ${formatDepths(SCALED_DEPTHS)} (${SATURATION_TOTAL} ` +
      `blocks, the optimal depths x1.4), reports the depth beyond where the study saw gains ` +
      `and computes the widths at which ${formatDepths(SCALED_DEPTHS)} fits the same budget.`,
    fails:
      'budget: 104M\nstages:\n  - { depth: 10, width: 336, stride: 2, groups: 2 }\n  - { ' +
      'depth: 16, width: 672, stride: 2, groups: 2 }\n  - { depth: 26, width: 1328, ' +
      'stride: 2, groups: 2 }\n  - { depth: 2, width: 2624, stride: 2, groups: 2 }',
    passes:
      'budget: 104M\nstages:\n  - { depth: 7, width: 512, stride: 2, groups: 2 }\n  - { ' +
      'depth: 11, width: 1024, stride: 2, groups: 2 }\n  - { depth: 18, width: 2016, ' +
      'stride: 2, groups: 2 }\n  - { depth: 1, width: 4032, stride: 2, groups: 2 }',
    howToFix: 'Keep D-7-11-18-1 and spend the remaining budget on width, as RobArch-L does.',
  },
  check(context) {
    const { network, design } = context;
    const sized = sizeInForce(context);
    if (!design || !sized || design.stages.length !== 4) return [];
    const depth = totalDepth(design);
    if (depth <= SATURATION_TOTAL) return [];
    const suggestion = fittedSuggestion(design, SCALED_DEPTHS, sized.size);
    return [
      {
        range: rangeOf(network, 'stages', network),
        message:
          `${depth} blocks (${formatDepths(design.stages.map((s) => s.depth))}) is deeper ` +
          `than ${formatDepths(SCALED_DEPTHS)}, where depth saturates; widen instead` +
          (suggestion ? `: ${suggestion} fits ${sized.label}` : ''),
      },
    ];
  },
};
