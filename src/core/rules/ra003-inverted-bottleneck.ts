import type { Rule } from './rule';
import { factValue, rangeOf } from './support';

/** Natural / PGD10-4 accuracy the study measured per bottleneck multiplier (baseline b = 0.25: 56.09 / 30.43). */

export const ra003: Rule = {
  code: 'RA003',
  guideline: 3,
  name: 'inverted-bottleneck',
  title: 'Avoid inverted bottlenecks',
  level: 'stage',
  facts: ['stage.bottleneckMultiplier'],
  defaultSeverity: 'warning',
  evidence:
    'An inverted bottleneck (b > 1) harms robustness, most in deeper stages: BM-1 ' +
    '53.07/29.54, BM-2 51.17/27.32, BM-4 47.67/25.30 natural/PGD10-4, against 56.09/30.43 ' +
    "for ResNet-50's b = 0.25.",
  fixable: 'never',
  docs: {
    checks: 'Reports every stage whose bottleneck multiplier b (inner width / stage width) is above 1.',
    fails: 'stages:\n  - { depth: 13, width: 1120, stride: 2, bottleneck: 2, groups: 2 }',
    passes: 'stages:\n  - { depth: 13, width: 1120, stride: 2, bottleneck: 0.25, groups: 2 }',
    howToFix:
      'Use b = 0.25 (inner width a quarter of the stage width), as ResNet-50 and RobArch ' +
      'do; spend the parameters saved on depth or width.',
  },
  check({ network }) {
    return network.stages.flatMap((stage) => {
      const b = factValue(stage.facts.bottleneckMultiplier);
      if (b === undefined || b <= 1) return [];
      return [
        {
          range: rangeOf(stage, 'bottleneck', network),
          message: `Stage ${stage.index} has an inverted bottleneck (b = ${b}); b = 0.25 was more robust`,
        },
      ];
    });
  },
};
