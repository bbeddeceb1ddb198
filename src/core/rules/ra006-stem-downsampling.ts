import type { Rule } from './rule';
import { paramsOf } from './budget-support';
import { factValue, rangeOf } from './support';

export const ra006: Rule = {
  code: 'RA006',
  guideline: 6,
  name: 'stem-downsampling',
  title: 'Downsample in the first stage, not with a stem max-pool',
  level: 'layer',
  facts: ['stem.maxPool', 'stage.stride'],
  defaultSeverity: 'warning',
  evidence:
    "Replacing the stem's max-pooling by a stride-2 downsampling shortcut in the first " +
    'stage gave +0.99pp natural and +2.65pp PGD10-4; only dropping the max-pool still beat ' +
    'ResNet-50.',
  fixable: 'always',
  docs: {
    checks: 'Reports a max-pool in the stem.',
    fails: 'stem:\n  width: 96\n  max_pool: true\nstages:\n  - { depth: 5, width: 288, stride: 1 }',
    passes: 'stem:\n  width: 96\n  max_pool: false\nstages:\n  - { depth: 5, width: 288, stride: 2 }',
    howToFix:
      'Remove the max-pool and give the first stage stride 2, so its first block ' +
      'downsamples through its projection shortcut. The quick fix does both.',
  },
  check({ network, design }) {
    if (factValue(network.stem.facts.maxPool) !== true) return [];
    const firstStride = factValue(network.stages[0]?.facts.stride ?? { known: false, reason: '' });
    const edits = network.editor?.replaceStemPoolByStageStride(0);
    let safety: 'safe' | 'unsafe' = 'unsafe';
    if (design) {
      const after = {
        ...design,
        stem: { ...design.stem, maxPool: null },
        stages: design.stages.map((s, i) => (i === 0 ? { ...s, stride: 2 } : s)),
      };
      safety = paramsOf(after) === paramsOf(design) ? 'safe' : 'unsafe';
    }
    return [
      {
        range: rangeOf(network.stem, 'maxPool', network),
        message:
          `The stem downsamples with a ` +
          `max-pool${firstStride === 1 ? ' and stage 1 keeps stride 1' : ''}; a stride-2 ` +
          `first stage was more robust`,
        ...(edits ? { fix: { title: 'Remove the stem max-pool and downsample in stage 1', edits, safety } } : {}),
      },
    ];
  },
};
