import type { Rule } from './rule';
import { paramsOf } from './budget-support';
import { allBlocks, rangeOf, signedMillions, unique } from './support';

export const SE_RATIO = 0.25;

export const ra013: Rule = {
  code: 'RA013',
  guideline: 13,
  name: 'squeeze-excitation',
  title: 'Add squeeze-and-excitation to the blocks',
  level: 'block',
  facts: ['block.se'],
  defaultSeverity: 'warning',
  evidence:
    'An SE module between the last two convs of a block (reduction 1/4) significantly ' +
    'improves robustness, even when other components give up the parameters it costs ' +
    '(+2.17M parameters when simply added to ResNet-50; Table 1 row 18).',
  fixable: 'always',
  docs: {
    checks:
      'Reports blocks without a squeeze-and-excitation module, with what adding one ' +
      '(ratio 0.25, ReLU inside) would cost in parameters.',
    fails: 'block:\n  se: null',
    passes: 'block:\n  se: { ratio: 0.25, activation: relu }',
    howToFix:
      'Add SE with ratio 0.25 and ReLU inside between the grouped conv and the last 1x1 ' +
      'conv; narrow the stages if you must stay in budget (RobArch-S did). The quick fix ' +
      'adds it.',
  },
  check({ network, design }) {
    const blocks = allBlocks(network).filter((b) => b.facts.se.known && b.facts.se.value === null);
    if (blocks.length === 0) return [];
    let cost = '';
    if (design && !design.block.se) {
      const withSe = { ...design, block: { ...design.block, se: { ratio: SE_RATIO, activation: 'relu' as const } } };
      cost = `; here it costs ${signedMillions(paramsOf(withSe) - paramsOf(design))} params`;
    }
    const edits = network.editor?.setSqueezeExcitation(SE_RATIO, 'relu');
    return unique(
      blocks.map((block) => ({
        range: rangeOf(block, 'se', network),
        message:
          'No squeeze-and-excitation in the blocks; an SE module (reduction 1/4) before ' +
          'the last conv improved robustness',
        ...(cost ? { detail: cost } : {}),
        ...(edits
          ? { fix: { title: 'Add squeeze-and-excitation (ratio 0.25, ReLU)', edits, safety: 'unsafe' as const } }
          : {}),
      })),
    );
  },
};
