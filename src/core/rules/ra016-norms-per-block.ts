import { normClassName } from '../describe/layer-label';
import type { Rule } from './rule';
import { allBlocks, factValue, rangeOf, unique } from './support';

export const ra016: Rule = {
  code: 'RA016',
  guideline: 16,
  name: 'norms-per-block',
  title: 'Remove the first norm of each block',
  level: 'block',
  facts: ['block.norms'],
  defaultSeverity: 'warning',
  evidence:
    'Removing the first BatchNorm of a residual block helps; removing two gives nothing ' +
    'more (0-BN-BN 56.18/31.61 against BN-BN-BN 56.09/30.43 natural/PGD10-4).',
  fixable: 'always',
  docs: {
    checks: 'Reports blocks whose first conv still has a norm.',
    fails: 'block:\n  norms: [batch, batch, batch]',
    passes: 'block:\n  norms: [none, batch, batch]',
    howToFix:
      'Remove the norm of the first 1x1 conv in every block (RobArch-S step S7). The conv ' +
      "keeps no bias, as in RobArch's code.",
  },
  check({ network }) {
    return unique(
      allBlocks(network).flatMap((block) => {
        const norms = factValue(block.facts.norms);
        const first = norms?.[0];
        if (!first) return [];
        const pattern = (norms ?? []).map((n) => (n ? (n === 'batch' ? 'BN' : normClassName(n)) : '0')).join('-');
        const edits = network.editor?.setBlockNorm(0, null);
        return [
          {
            range: rangeOf(block, 'norms.0', network),
            message:
              `The block's first conv is followed by ${normClassName(first)} (${pattern}); ` +
              `removing the first norm of each block helped`,
            ...(edits
              ? { fix: { title: 'Remove the first norm of each block', edits, safety: 'unsafe' as const } }
              : {}),
          },
        ];
      }),
    );
  },
};
