import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { autoAttackVersion } from '../../../src/engine/attacks/autoattack-versions';
import { versionOption } from '../../../src/cli/commands/eval-version';
import { UsageError } from '../../../src/cli/io';
import { parseEvalResult } from '../../../webview/src/results/validate/parse-run';
import { parseWarnings } from '../../../webview/src/results/validate/parse-warnings';

describe('AutoAttack versions', () => {
  it('run the attacks of the reference set_version, in its order (plus without untargeted FAB)', () => {
    const names = (v: 'standard' | 'plus' | 'rand'): string[] => autoAttackVersion(v).attacks.map((a) => a.name);
    assert.deepEqual(names('standard'), ['apgd-ce', 'apgd-t', 'fab-t', 'square']);
    assert.deepEqual(names('plus'), ['apgd-ce', 'apgd-dlr', 'square', 'apgd-t', 'fab-t']);
    assert.match(autoAttackVersion('plus').notes.join(), /untargeted FAB/);
    assert.deepEqual(names('rand'), ['apgd-ce', 'apgd-dlr']);
  });

  it('--version takes a known version, and not together with --attacks', () => {
    assert.equal(versionOption('Rand', undefined), 'rand');
    assert.equal(versionOption(undefined, 'fgsm'), undefined);
    const listsVersions = (e: unknown): boolean => e instanceof UsageError && /standard, plus, rand/.test(e.message);
    assert.throws(() => versionOption('fast', undefined), listsVersions);
    assert.throws(() => versionOption('plus', 'fgsm'), UsageError);
  });
});

describe('warnings in result.json, as the results panel reads them', () => {
  const warning = {
    code: 'zero-gradients',
    message: '3 of 20 probed images (15.0%) have a zero gradient',
    advice: 'use Square',
  };
  const evaluation = {
    threat: { norm: 'Linf', eps: 0.1 },
    samples: 1,
    cleanAccuracy: 1,
    robustAccuracy: 1,
    seconds: 1,
    attacks: [{ name: 'apgd-dlr', robustAccuracy: 1, seconds: 1 }],
    perSample: { indices: [0], clean: [1], robust: [1] },
  };

  it('keeps known warnings and drops unknown codes or malformed entries, not the run', () => {
    const mixed = [warning, { ...warning, code: 'from-the-future' }, 'text', { code: 'near-chance' }];
    assert.deepEqual(parseWarnings(mixed), [warning]);
    assert.deepEqual(parseEvalResult({ ...evaluation, warnings: [warning] })?.warnings, [warning]);
    const older = parseEvalResult(evaluation);
    assert.ok(older);
    assert.equal(older.warnings, undefined);
  });
});
