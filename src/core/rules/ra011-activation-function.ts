import type { TextEdit } from '../ir/diagnostic';
import type { ActivationFunction } from '../ir/layers';
import { PARAMETRIC_ACTIVATIONS } from '../ir/layers';
import { activationClassName } from '../describe/layer-label';
import type { Block } from '../ir/network';
import type { Rule } from './rule';
import { allBlocks, factValue, positionName, rangeOf, unique } from './support';

/** Non-parametric activations the study found robust: SiLU best, GELU also good. */
const ROBUST: ReadonlySet<ActivationFunction> = new Set(['silu', 'gelu']);

export function activationPlace(position: number, postOrder: boolean, block?: Block): string {
  const last = (factValue(block?.facts.activations ?? { known: false, reason: '' })?.length ?? 3) - 1;
  return postOrder && position === last ? 'the activation after the residual addition' : `the activation of the ${positionName(position, block)} conv`;
}

export const ra011: Rule = {
  code: 'RA011',
  guideline: 11,
  name: 'activation-function',
  title: 'Use SiLU (or GELU) in the blocks',
  level: 'layer',
  facts: ['block.activations', 'block.convOrder'],
  defaultSeverity: 'warning',
  evidence: 'The activation matters a lot: non-parametric SiLU was best, GELU also good, ReLU worse; parametric activations (PReLU, PSiLU, PSSiLU) were less robust than non-parametric ones (Table 1 rows 15-17).',
  fixable: 'always',
  docs: {
    checks: 'Reports every block activation that is neither SiLU nor GELU: ReLU and other non-parametric functions, and parametric ones (PReLU, PSiLU, PSSiLU). Missing activations are RA012\'s concern.',
    fails: 'block:\n  activations: [relu, relu, relu]',
    passes: 'block:\n  activations: [silu, silu, silu]',
    howToFix: 'Use SiLU in all three block activations, as RobArch does; the quick fix replaces one. Keep ReLU inside the SE module (RA014).',
  },
  check({ network }) {
    return unique(allBlocks(network).flatMap((block) => {
      const activations = factValue(block.facts.activations);
      const postOrder = factValue(block.facts.convOrder) === 'conv-norm-act';
      if (!activations) return [];
      const weak = activations.map((fn, position) => ({ fn, position })).filter((a): a is { fn: ActivationFunction; position: number } => a.fn !== null && !ROBUST.has(a.fn));
      // One fix for the whole block: every weak activation becomes SiLU, so RA011 is gone at once.
      const edits = dedupeEdits(weak.map((a) => network.editor?.setBlockActivation(a.position, 'silu')));
      const anyParametric = weak.some((a) => PARAMETRIC_ACTIVATIONS.has(a.fn));
      return weak.map(({ fn, position }) => {
        const parametric = PARAMETRIC_ACTIVATIONS.has(fn);
        const found = `${activationClassName(fn)} as ${activationPlace(position, postOrder, block)}`;
        const message = parametric
          ? `parametric ${found}; the RobArch study found parametric activations (PReLU, PSiLU, PSSiLU) less robust than non-parametric ones, with SiLU best (guideline 11, Table 1 rows 15-17)`
          : `${found}; the RobArch study found non-parametric SiLU the most robust block activation, GELU also good and ReLU worse (guideline 11, Table 1 rows 15-17)`;
        return {
          range: rangeOf(block, `activations.${position}`, network),
          message,
          ...(edits ? { fix: { title: weak.length > 1 ? 'Use SiLU for the block\'s activations' : `Replace ${activationClassName(fn)} by SiLU`, edits, safety: anyParametric ? 'unsafe' as const : 'safe' as const } } : {}),
        };
      });
    }));
  },
};

/** Edits for several positions, or undefined when one of them cannot be made; one edit per range. */
function dedupeEdits(lists: (TextEdit[] | undefined)[]): TextEdit[] | undefined {
  if (lists.length === 0 || lists.some((l) => l === undefined)) return undefined;
  const seen = new Set<string>();
  return (lists as TextEdit[][]).flat().filter((e) => {
    const key = `${e.range.start.line}:${e.range.start.character}:${e.range.end.line}:${e.range.end.character}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
