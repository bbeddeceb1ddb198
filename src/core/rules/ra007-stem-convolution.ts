import type { Rule, RuleFinding } from './rule';
import type { SourceRange } from '../ir/source';
import { factValue, rangeOf } from './support';

/** The stem the study found best: 96 channels, kernel 7. */
export const BEST_STEM_WIDTH = 96;
export const BEST_STEM_KERNEL = 7;

export const ra007: Rule = {
  code: 'RA007',
  guideline: 7,
  name: 'stem-convolution',
  title: 'Use a wide 7x7 stem',
  level: 'layer',
  facts: ['stem.width', 'stem.kernel', 'stem.patchify'],
  defaultSeverity: 'warning',
  evidence:
    'A patchify stem helps a little, but best is a wider stem (96 channels instead of 64) ' +
    'with kernel 7; stem kernels 3 or 5 made Fast-AT collapse (non-robust). Widening the ' +
    'stem 32->64 and 64->96 gave +0.7 and +1.65pp PGD10-4 for ~0.01M parameters.',
  fixable: 'sometimes',
  docs: {
    checks:
      'Reports a stem conv with kernel 3 or 5, and a stem narrower than 96 channels. A ' +
      'patchify stem is reported at info level.',
    fails: 'stem:\n  width: 64\n  kernel: 3',
    passes: 'stem:\n  width: 96\n  kernel: 7',
    howToFix: 'Use a 96-channel 7x7 stem conv. The quick fix sets both (it changes the parameter count slightly).',
  },
  check({ network }) {
    const stem = network.stem.facts;
    const width = factValue(stem.width);
    const kernel = factValue(stem.kernel);
    const patchify = factValue(stem.patchify);
    if (width === undefined || kernel === undefined || patchify === undefined) return [];
    const edits = network.editor?.setStem(Math.max(width, BEST_STEM_WIDTH), BEST_STEM_KERNEL);
    const fix = edits
      ? {
          fix: {
            title: `Use a ${Math.max(width, BEST_STEM_WIDTH)}-channel 7x7 stem`,
            edits,
            safety: 'unsafe' as const,
          },
        }
      : {};
    if (patchify) {
      return [
        {
          range: rangeOf(network.stem, 'kernel', network),
          message: `Patchify stem (patch ${kernel}); a 96-channel 7x7 stem conv was more robust`,
          severity: 'info',
        },
      ];
    }
    const findings: RuleFinding[] = [];
    const badKernel = kernel === 3 || kernel === 5;
    const kernelRange = rangeOf(network.stem, 'kernel', network);
    const widthRange = rangeOf(network.stem, 'width', network);
    if (badKernel && width < BEST_STEM_WIDTH && sameRange(kernelRange, widthRange)) {
      // One conv, two findings: said once there.
      return [
        {
          range: kernelRange,
          message: `Stem kernel ${kernel} and under 96 channels; a 96-channel 7x7 stem was the most robust`,
          detail: ` (width ${width})`,
          ...fix,
        },
      ];
    }
    if (badKernel) {
      findings.push({
        range: kernelRange,
        message:
          `Stem kernel ${kernel}; kernels 3 and 5 made fast adversarial training collapse, ` +
          `use a 96-channel 7x7 stem`,
        ...fix,
      });
    }
    if (width < BEST_STEM_WIDTH) {
      findings.push({
        range: widthRange,
        // The width in the detail: models sharing a stem class with different widths are one finding.
        message: 'Stem under 96 channels; a 96-channel 7x7 stem was more robust for about 0.01M more parameters',
        detail: ` (width ${width})`,
        ...fix,
      });
    }
    return findings;
  },
};

function sameRange(a: SourceRange, b: SourceRange): boolean {
  return (
    a.start.line === b.start.line &&
    a.start.character === b.start.character &&
    a.end.line === b.end.line &&
    a.end.character === b.end.character
  );
}
