import type { Rule, RuleFinding } from './rule';
import { allBlocks, factValue, positionName, rangeOf, unique } from './support';

const EVIDENCE_TEXT = 'BatchNorm was far more robust (with InstanceNorm training barely converged)';

export const ra015: Rule = {
  code: 'RA015',
  guideline: 15,
  name: 'normalization-type',
  title: 'Use BatchNorm, not InstanceNorm',
  level: 'layer',
  facts: ['block.norms', 'block.shortcutNorm', 'stem.norm'],
  defaultSeverity: 'warning',
  evidence:
    'Switching BatchNorm to InstanceNorm harms robustness: training barely converges ' +
    '(17.15% natural, 8.54% PGD10-4 with InstanceNorm against 56.09/30.43).',
  fixable: 'sometimes',
  docs: {
    checks: 'Reports InstanceNorm in the blocks, the projection shortcut and the stem.',
    fails: 'block:\n  norms: [none, instance, instance]',
    passes: 'block:\n  norms: [none, batch, batch]',
    howToFix:
      "Use BatchNorm. InstanceNorm (PyTorch's default, not affine) has no parameters, so " +
      'BatchNorm adds two per channel.',
  },
  check({ network }) {
    const findings: RuleFinding[] = [];
    for (const block of allBlocks(network)) {
      const norms = factValue(block.facts.norms);
      norms?.forEach((norm, position) => {
        if (norm !== 'instance') return;
        const edits = network.editor?.setBlockNorm(position, 'batch');
        findings.push({
          range: rangeOf(block, `norms.${position}`, network),
          message: `InstanceNorm at the ${positionName(position, block)} conv; ${EVIDENCE_TEXT}`,
          ...(edits ? { fix: { title: 'Switch InstanceNorm to BatchNorm', edits, safety: 'unsafe' as const } } : {}),
        });
      });
      if (block.facts.shortcutNorm.known && block.facts.shortcutNorm.value === 'instance') {
        const edits = network.editor?.setShortcutNorm('batch');
        findings.push({
          range: rangeOf(block, 'shortcutNorm', network),
          message: `InstanceNorm in the projection shortcut; ${EVIDENCE_TEXT}`,
          ...(edits ? { fix: { title: 'Switch InstanceNorm to BatchNorm', edits, safety: 'unsafe' as const } } : {}),
        });
      }
    }
    if (factValue(network.stem.facts.norm) === 'instance') {
      const edits = network.editor?.setStemNorm('batch');
      findings.push({
        range: rangeOf(network.stem, 'norm', network),
        message: `InstanceNorm in the stem; ${EVIDENCE_TEXT}`,
        ...(edits ? { fix: { title: 'Switch InstanceNorm to BatchNorm', edits, safety: 'unsafe' as const } } : {}),
      });
    }
    return unique(findings);
  },
};
