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
  return postOrder && position === last
    ? 'the activation after the residual addition'
    : `the activation of the ${positionName(position, block)} conv`;
}

export const ra011: Rule = {
  code: 'RA011',
  guideline: 11,
  name: 'activation-function',
  title: 'Use SiLU (or GELU) in the blocks',
  level: 'layer',
  facts: ['block.activations', 'block.convOrder'],
  defaultSeverity: 'warning',
  evidence:
    'The activation matters a lot: non-parametric SiLU was best, GELU also good, ReLU ' +
    'worse; parametric activations (PReLU, PSiLU, PSSiLU) were less robust than ' +
    'non-parametric ones (Table 1 rows 15-17).',
  fixable: 'always',
  docs: {
    checks:
      'Reports every block activation that is neither SiLU nor GELU: ReLU and other ' +
      'non-parametric functions, and parametric ones (PReLU, PSiLU, PSSiLU). Missing ' +
      "activations are RA012's concern.",
    fails: 'block:\n  activations: [relu, relu, relu]',
    passes: 'block:\n  activations: [silu, silu, silu]',
    howToFix:
      'Use SiLU in all three block activations, as RobArch does; the quick fix replaces ' +
      'one. Keep ReLU inside the SE module (RA014).',
  },
  check({ network }) {
    return unique(
      allBlocks(network).flatMap((block) => {
        const activations = factValue(block.facts.activations);
        const postOrder = factValue(block.facts.convOrder) === 'conv-norm-act';
        if (!activations) return [];
        const weak = activations
          .map((fn, position) => ({ fn, position }))
          .filter((a): a is { fn: ActivationFunction; position: number } => a.fn !== null && !ROBUST.has(a.fn));
        // One fix for the whole block: every weak activation becomes SiLU, so RA011 is gone at once.
        const edits = dedupeEdits(weak.map((a) => network.editor?.setBlockActivation(a.position, 'silu')));
        const anyParametric = weak.some((a) => PARAMETRIC_ACTIVATIONS.has(a.fn));
        // One self.relu applied at several places is one finding there, naming every place.
        const byRange = new Map<string, { fn: ActivationFunction; positions: number[] }>();
        for (const { fn, position } of weak) {
          const { start, end } = rangeOf(block, `activations.${position}`, network);
          const key = `${fn}:${start.line}:${start.character}:${end.line}:${end.character}`;
          const entry = byRange.get(key);
          if (entry) entry.positions.push(position);
          else byRange.set(key, { fn, positions: [position] });
        }
        return [...byRange.values()].map(({ fn, positions }) => {
          const parametric = PARAMETRIC_ACTIVATIONS.has(fn);
          const places = positions.map((p) => activationPlace(p, postOrder, block).replace(/^the activation /, ''));
          const found = `${activationClassName(fn)} as the activation ${joinPlaces(places)}`;
          const message = parametric
            ? `Parametric ${found}; use SiLU, non-parametric ones were more robust`
            : `${found}; SiLU was more robust`;
          return {
            range: rangeOf(block, `activations.${positions[0] ?? 0}`, network),
            message,
            ...(edits
              ? {
                  fix: {
                    title:
                      weak.length > 1
                        ? "Use SiLU for the block's activations"
                        : `Replace ${activationClassName(fn)} by SiLU`,
                    edits,
                    safety: anyParametric ? ('unsafe' as const) : ('safe' as const),
                  },
                }
              : {}),
          };
        });
      }),
    );
  },
};

/** "of the first conv, of the second conv and after the residual addition". */
function joinPlaces(places: readonly string[]): string {
  return places.length <= 1
    ? places.join('')
    : `${places.slice(0, -1).join(', ')} and ${places[places.length - 1] ?? ''}`;
}

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
