import type { Rule } from './rule';
import { activationPlace } from './ra011-activation-function';
import { allBlocks, factValue, rangeOf, unique } from './support';

export const ra012: Rule = {
  code: 'RA012',
  guideline: 12,
  name: 'activations-per-block',
  title: 'Keep every activation of the block',
  level: 'block',
  facts: ['block.activations', 'block.convOrder'],
  defaultSeverity: 'warning',
  evidence: 'Removing activation layers from a residual block severely hurts robustness: the more removed, the worse.',
  fixable: 'always',
  docs: {
    checks: 'Reports each of the three activation slots of a bottleneck block that has no activation.',
    fails: 'block:\n  activations: [silu, none, silu]',
    passes: 'block:\n  activations: [silu, silu, silu]',
    howToFix: 'Put the activation back (SiLU, per RA011). Activations have no parameters, so the model keeps its size.',
  },
  check({ network }) {
    return unique(
      allBlocks(network).flatMap((block) => {
        const activations = factValue(block.facts.activations);
        const postOrder = factValue(block.facts.convOrder) === 'conv-norm-act';
        if (!activations) return [];
        const missing = activations.filter((fn) => fn === null).length;
        return activations.flatMap((fn, position) => {
          if (fn !== null) return [];
          const edits = network.editor?.setBlockActivation(position, 'silu');
          return [
            {
              range: rangeOf(block, `activations.${position}`, network),
              message:
                `The block has no ` +
                `${activationPlace(position, postOrder, block).replace(/^the /, '')} ` +
                `(${missing} of ${activations.length} removed);` +
                ' removing activations severely hurt robustness',
              ...(edits ? { fix: { title: 'Add SiLU here', edits, safety: 'safe' as const } } : {}),
            },
          ];
        });
      }),
    );
  },
};
