import type { Rule } from './rule';
import { factValue, rangeOf } from './support';
import { formatDepths } from '../whatif/variants';

/** The factor by which the third stage should out-number the fourth (the paper's figure: d3 > c x d4, c = 3). */
export const DEPTH_RATIO_C = 3;

export const ra002: Rule = {
  code: 'RA002',
  guideline: 2,
  name: 'stage-depths',
  title: 'Order stage depths d1 < d2 < d3 >> d4',
  level: 'network',
  facts: ['network.depths'],
  defaultSeverity: 'warning',
  evidence:
    'In a 4-stage network use d1 < d2 < d3 >> d4 (d3 > 3 x d4); D-5-8-13-1 was the best ' +
    "found: +1.15pp natural and +2.03/+2.62/+2.75pp PGD10-2/4/8 over ResNet-50's D-3-4-6-3 " +
    'at the same budget.',
  fixable: 'never',
  docs: {
    checks:
      'For 4-stage networks, checks that depths grow from stage 1 to stage 3 and that ' +
      'stage 3 has more than three times the blocks of stage 4. Networks with another ' +
      'number of stages are not judged (the guideline is stated for four).',
    fails:
      'stages:\n  - { depth: 3, width: 256, stride: 1 }\n  - { depth: 4, width: 512, ' +
      'stride: 2 }\n  - { depth: 6, width: 1024, stride: 2 }\n  - { depth: 3, width: 2048, ' +
      'stride: 2 }',
    passes:
      'stages:\n  - { depth: 5, width: 256, stride: 1 }\n  - { depth: 8, width: 512, ' +
      'stride: 2 }\n  - { depth: 13, width: 1024, stride: 2 }\n  - { depth: 1, width: ' +
      '2048, stride: 2 }',
    howToFix:
      'Move blocks from the last stage into the third: D-5-8-13-1 (or a proportional ' +
      'scaling of it, such as D-7-11-18-1) at widths that fit your budget.',
  },
  check({ network }) {
    const depths = factValue(network.facts.depths);
    if (!depths || depths.length !== 4) return [];
    const [d1 = 0, d2 = 0, d3 = 0, d4 = 0] = depths;
    const broken: string[] = [];
    if (!(d1 < d2)) broken.push(`d1 < d2 (${d1} vs ${d2})`);
    if (!(d2 < d3)) broken.push(`d2 < d3 (${d2} vs ${d3})`);
    if (!(d3 > DEPTH_RATIO_C * d4)) broken.push(`d3 > 3 x d4 (${d3} vs ${DEPTH_RATIO_C * d4})`);
    if (broken.length === 0) return [];
    return [
      {
        range: rangeOf(network, 'stages', network),
        message: `Stage depths ${formatDepths(depths)} break ${broken.join(', ')}; D-5-8-13-1 was the most robust`,
      },
    ];
  },
};
