import { activationClassName } from '../describe/layer-label';
import type { Rule } from './rule';
import { allBlocks, factValue, rangeOf, unique } from './support';

export const ra014: Rule = {
  code: 'RA014',
  guideline: 14,
  name: 'se-activation',
  title: 'Keep ReLU inside SE when the block uses another activation',
  level: 'block',
  facts: ['block.se', 'block.activations'],
  defaultSeverity: 'warning',
  evidence:
    "Changing only the SE module's activation helps, but not together with changing the " +
    "block's own activation: RobArch keeps ReLU in SE with SiLU in the block (in building " +
    'RobArch-S, SiLU also in SE lowered robustness).',
  fixable: 'always',
  docs: {
    checks:
      "Reports an SE module whose activation is not ReLU while the block's own " +
      'activations are not ReLU either: both changed at once.',
    fails: 'block:\n  activations: [silu, silu, silu]\n  se: { ratio: 0.25, activation: silu }',
    passes: 'block:\n  activations: [silu, silu, silu]\n  se: { ratio: 0.25, activation: relu }',
    howToFix: 'Use ReLU inside SE and keep SiLU in the block, as RobArch does.',
  },
  check({ network }) {
    return unique(
      allBlocks(network).flatMap((block) => {
        const se = factValue(block.facts.se);
        const activations = factValue(block.facts.activations);
        if (!se || !activations || se.activation === 'relu' || se.activation === null) return [];
        const blockFns = activations.filter((fn) => fn !== null);
        if (blockFns.length === 0 || blockFns.some((fn) => fn === 'relu')) return [];
        const edits = network.editor?.setSqueezeExcitationActivation('relu');
        const seName = activationClassName(se.activation);
        return [
          {
            range: rangeOf(block, 'se.activation', network),
            message:
              `${seName} inside SE while the block uses ` +
              `${[...new Set(blockFns.map(activationClassName))].join('/')}; keep ReLU in SE`,
            ...(edits
              ? {
                  fix: {
                    title: 'Use ReLU inside SE',
                    edits,
                    safety:
                      se.activation === 'prelu' || se.activation === 'psilu' || se.activation === 'pssilu'
                        ? ('unsafe' as const)
                        : ('safe' as const),
                  },
                }
              : {}),
          },
        ];
      }),
    );
  },
};
