import type { Rule } from './rule';
import { factValue, rangeOf } from './support';

const near = (x: number, target: number, tolerance: number): boolean => Math.abs(x - target) <= tolerance;

export const ra004: Rule = {
  code: 'RA004',
  guideline: 4,
  name: 'width-configuration',
  title: 'Do not combine all three width changes',
  level: 'network',
  facts: ['network.widths', 'network.groups', 'network.bottleneckMultipliers'],
  defaultSeverity: 'warning',
  evidence:
    'Each single change b1,2 = 0.5 with b3,4 = 0.25, g = 2, or e = 1.5 helps, but all ' +
    'three together hurt; the best configurations are (e = 2, g = 2) or (e = 1.5, g = 1), ' +
    'each with b = 0.25 (Table 1).',
  fixable: 'never',
  docs: {
    checks:
      'For 4-stage networks, reports the combination the study found harmful: bottleneck ' +
      'multipliers 0.5, 0.5, 0.25, 0.25, grouped convs with 2 groups and a width expansion ' +
      'of about 1.5 between stages, all at once.',
    fails:
      'stages:\n  - { depth: 5, width: 384, stride: 2, bottleneck: 0.5, groups: 2 }\n  - ' +
      '{ depth: 8, width: 576, stride: 2, bottleneck: 0.5, groups: 2 }\n  - { depth: 13, ' +
      'width: 864, stride: 2, bottleneck: 0.25, groups: 2 }\n  - { depth: 1, width: 1296, ' +
      'stride: 2, bottleneck: 0.25, groups: 2 }',
    passes:
      'stages:\n  - { depth: 5, width: 288, stride: 2, bottleneck: 0.25, groups: 2 }\n  - ' +
      '{ depth: 8, width: 576, stride: 2, bottleneck: 0.25, groups: 2 }\n  - { depth: 13, ' +
      'width: 1120, stride: 2, bottleneck: 0.25, groups: 2 }\n  - { depth: 1, width: 2160, ' +
      'stride: 2, bottleneck: 0.25, groups: 2 }',
    howToFix: 'Keep b = 0.25 in every stage and use either e = 2 with g = 2 (RobArch) or e = 1.5 with g = 1.',
  },
  check({ network }) {
    const widths = factValue(network.facts.widths);
    const groups = factValue(network.facts.groups);
    const bs = factValue(network.facts.bottleneckMultipliers);
    if (!widths || !groups || !bs || widths.length !== 4) return [];
    const ratios = widths.slice(1).map((w, i) => w / (widths[i] ?? w));
    const halfBottleneck =
      near(bs[0] ?? 0, 0.5, 1e-9) &&
      near(bs[1] ?? 0, 0.5, 1e-9) &&
      near(bs[2] ?? 0, 0.25, 1e-9) &&
      near(bs[3] ?? 0, 0.25, 1e-9);
    const twoGroups = groups.every((g) => g === 2);
    const expansion = ratios.every((e) => near(e, 1.5, 0.1));
    if (!(halfBottleneck && twoGroups && expansion)) return [];
    return [
      {
        range: rangeOf(network, 'stages', network),
        message:
          `The widths combine b = 0.5-0.5-0.25-0.25, g = 2 and e = ` +
          `${ratios.map((e) => e.toFixed(2)).join('/')}, which hurt together;` +
          ' use b = 0.25 with (e = 2, g = 2) or (e = 1.5, g = 1)',
      },
    ];
  },
};
