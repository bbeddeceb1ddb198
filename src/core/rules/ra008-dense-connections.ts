import type { Rule } from './rule';
import { factValue, rangeOf, unique } from './support';

export const ra008: Rule = {
  code: 'RA008',
  guideline: 8,
  name: 'dense-connections',
  title: 'Dense connections do not help robustness',
  level: 'stage',
  facts: ['stage.denseRatio'],
  defaultSeverity: 'warning',
  evidence:
    'DenseNet-style dense connections between the blocks of a stage did not improve robustness (Table 1 row 10).',
  fixable: 'always',
  docs: {
    checks: 'Reports stages whose blocks are densely connected (dense_ratio above 0).',
    fails: 'block:\n  dense_ratio: 1',
    passes: 'block:\n  dense_ratio: 0',
    howToFix:
      'Remove the dense connections (dense_ratio 0, or null in a RobArch config); they ' +
      'add no parameters, so nothing else changes.',
  },
  check({ network }) {
    return unique(
      network.stages.flatMap((stage) => {
        const ratio = factValue(stage.facts.denseRatio);
        if (!ratio) return [];
        const edits = network.editor?.removeDenseConnections();
        const block = stage.blocks[0];
        return [
          {
            range: block ? rangeOf(block, 'denseRatio', network) : rangeOf(stage, 'denseRatio', network),
            message:
              `Dense connections (dense ratio ${ratio}) did not help robustness; plain ` + `residual blocks do as well`,
            ...(edits ? { fix: { title: 'Remove the dense connections', edits, safety: 'safe' as const } } : {}),
          },
        ];
      }),
    );
  },
};
