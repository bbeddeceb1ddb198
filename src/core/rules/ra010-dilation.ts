import type { Rule } from './rule';
import { factValue, rangeOf, unique } from './support';

export const ra010: Rule = {
  code: 'RA010',
  guideline: 10,
  name: 'dilation',
  title: 'Keep dilation at 1',
  level: 'layer',
  facts: ['stage.dilation'],
  defaultSeverity: 'warning',
  evidence:
    'A larger dilation factor enlarges the area an attack acts on and lowered robustness, ' +
    'with no change in capacity (Table 1 rows 13, 14).',
  fixable: 'always',
  docs: {
    checks: 'Reports grouped convs with dilation above 1.',
    fails: 'block:\n  dilation: 2',
    passes: 'block:\n  dilation: 1',
    howToFix: 'Set the dilation to 1. Dilation has no parameters, so the model keeps its size.',
  },
  check({ network }) {
    return unique(
      network.stages.flatMap((stage) => {
        const dilation = factValue(stage.facts.dilation);
        if (dilation === undefined || dilation <= 1) return [];
        const edits = network.editor?.setDilation(1);
        return [
          {
            range: rangeOf(stage, 'dilation', network),
            message: `Dilation ${dilation} in the grouped conv lowered robustness at no change in capacity; use 1`,
            ...(edits ? { fix: { title: 'Set dilation to 1', edits, safety: 'safe' as const } } : {}),
          },
        ];
      }),
    );
  },
};
