import type { Rule } from './rule';
import { factValue, rangeOf } from './support';

/** Networks with 5 or more stages: the study's 3- and 4-stage networks were the robust ones. */
export const ra001: Rule = {
  code: 'RA001',
  guideline: 1,
  name: 'number-of-stages',
  title: 'Use 3 or 4 body stages',
  level: 'network',
  facts: ['network.stageCount'],
  defaultSeverity: 'warning',
  evidence:
    '3-stage ~ 4-stage > 5-stage >> 6-stage in robustness; 5- and 6-stage networks were ' +
    'clearly less robust, and 4-stage networks reached top accuracy at lower GMACs than ' +
    '3-stage ones (Fig. 2a).',
  fixable: 'never',
  docs: {
    checks: 'Counts the body stages (stem and head excluded) and reports networks with five or more.',
    fails:
      'stages:\n  - { depth: 2, width: 96, stride: 2 }\n  - { depth: 3, width: 192, ' +
      'stride: 2 }\n  - { depth: 4, width: 384, stride: 2 }\n  - { depth: 8, width: 768, ' +
      'stride: 2 }\n  - { depth: 1, width: 1536, stride: 2 }',
    passes:
      'stages:\n  - { depth: 5, width: 288, stride: 2 }\n  - { depth: 8, width: 576, ' +
      'stride: 2 }\n  - { depth: 13, width: 1120, stride: 2 }\n  - { depth: 1, width: ' +
      '2160, stride: 2 }',
    howToFix:
      'Merge stages until there are four (or three), keeping the total depth; RobArch ' +
      'uses four stages with depths D-5-8-13-1.',
  },
  check({ network }) {
    const count = factValue(network.facts.stageCount);
    if (count === undefined || count < 5) return [];
    return [
      {
        range: rangeOf(network, 'stages', network),
        message: `${count} body stages; use 3 or 4, as 5- and 6-stage networks were clearly less robust`,
      },
    ];
  },
};
