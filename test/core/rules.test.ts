import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { RULES } from '../../src/core';
import { repoPath } from '../helpers/paths';
import { codesOf, lintFile } from '../helpers/lint';

// The guideline sentence each rule checks (robarch-guidelines.md, "finding" column).
const GUIDELINE: Record<string, string> = {
  RA001: '3-stage ~ 4-stage > 5-stage >> 6-stage in robustness',
  RA002: 'in a 4-stage net use d1 < d2 < d3 >> d4 (d3 > 3 x d4); D-5-8-13-1 is the best found',
  RA003: 'an inverted bottleneck (b > 1) harms robustness, most in deeper stages',
  RA004: 'b1,2 = 0.5 / b3,4 = 0.25, g = 2, e = 1.5 each help, but all three together hurt',
  RA005: 'deepen proportionally to the optimal depth ratio, fill the rest of the budget with width',
  RA006: "replace the stem's max-pooling by a stride-2 downsampling in the first stage",
  RA007: 'best is a wider stem (96 channels) with kernel 7; kernels 3 or 5 made Fast-AT collapse',
  RA008: 'DenseNet-style dense connections do not help robustness',
  RA009: 'larger kernels raise robustness but also capacity; an option when scaling up',
  RA010: 'a larger dilation factor lowers robustness',
  RA011: 'non-parametric SiLU best, GELU also good, ReLU worse; parametric ones less robust',
  RA012: 'removing activation layers from a residual block severely hurts robustness',
  RA013: 'an SE module (reduction 1/4) significantly improves robustness',
  RA014: "changing only the SE block's activation helps, but not together with the block's own",
  RA015: 'switching BatchNorm to InstanceNorm harms robustness',
  RA016: 'removing the first BN of a residual block helps; removing two gives nothing more',
  RA017: 'when scaling up, proportionally deepening the optimal depth configuration helps most',
  RA018: 'purely adding depth to fill a budget saturates; widen when deeper stops helping',
};

// RobArch-S applies every guideline: it is the shared fixture every rule must stay silent on.
const ROBARCH_S = ['examples/robarch-s.arch.yaml', 'examples/hydra/robarch_s.yaml'];

function fixtures(code: string, kind: 'fires' | 'silent'): string[] {
  const dir = `test/fixtures/rules/${code}/${kind}`;
  if (!fs.existsSync(repoPath(dir))) return [];
  return fs
    .readdirSync(repoPath(dir))
    .sort()
    .map((f) => `${dir}/${f}`);
}

describe('each guideline rule fires on its fixtures and stays silent on the others', () => {
  it('has all 18 rules, RA001..RA018 in guideline order', () => {
    assert.deepEqual(
      RULES.map((r) => r.code),
      Array.from({ length: 18 }, (_, i) => `RA${String(i + 1).padStart(3, '0')}`),
    );
    assert.deepEqual(
      RULES.map((r) => r.guideline),
      Array.from({ length: 18 }, (_, i) => i + 1),
    );
  });

  for (const rule of RULES) {
    describe(`${rule.code} (guideline ${rule.guideline}: ${GUIDELINE[rule.code]})`, () => {
      const fires = fixtures(rule.code, 'fires');
      it('has at least one fixture where it fires', () => assert.ok(fires.length > 0));
      for (const file of fires) {
        it(`fires on ${file}`, () => assert.ok(codesOf(lintFile(file)).includes(rule.code)));
      }
      for (const file of [...fixtures(rule.code, 'silent'), ...ROBARCH_S]) {
        it(`stays silent on ${file}`, () => assert.ok(!codesOf(lintFile(file)).includes(rule.code)));
      }
    });
  }
});

describe('what the guidelines say about the bundled models', () => {
  for (const file of ROBARCH_S) {
    it(`RobArch-S (${file}) raises nothing at all`, () => {
      assert.deepEqual(
        lintFile(file).filter((d) => d.code.startsWith('RA')),
        [],
      );
    });
  }
  for (const file of [
    'examples/robarch-m.arch.yaml',
    'examples/robarch-l.arch.yaml',
    'examples/hydra/robarch_m.yaml',
    'examples/hydra/robarch_l.yaml',
  ]) {
    it(`${file} raises nothing`, () => assert.deepEqual(codesOf(lintFile(file)), []));
  }
  for (const file of ['examples/resnet50.arch.yaml', 'examples/hydra/resnet50.yaml']) {
    it(`ResNet-50 (${file}) raises RA002, RA006, RA007, RA011, RA013 and RA016`, () => {
      const codes = codesOf(lintFile(file));
      for (const code of ['RA002', 'RA006', 'RA007', 'RA011', 'RA013', 'RA016'])
        assert.ok(codes.includes(code), `${code} missing from ${codes.join(', ')}`);
    });
  }

  // Each single change of RobArch-S against one guideline raises exactly that guideline's code.
  const SINGLE_CHANGES: [string, string][] = [
    ['dilation 2', 'RA010/fires/dilation-2'],
    ['InstanceNorm', 'RA015/fires/instance-norm'],
    ['inverted bottleneck b = 2 in the last stages', 'RA003/fires/inverted-last-stages'],
    ['PReLU', 'RA011/fires/prelu'],
    ['an activation removed from the block', 'RA012/fires/activation-removed'],
    ['SiLU inside SE while the block uses SiLU', 'RA014/fires/silu-in-se'],
    ['SE removed', 'RA013/fires/no-se'],
    ['dense connections', 'RA008/fires/dense-connections'],
    ['stem kernel 3', 'RA007/fires/stem-kernel-3'],
    ['a stem max-pool', 'RA006/fires/stem-max-pool'],
    ['six stages', 'RA001/fires/six-stages'],
    ['equal stage depths', 'RA002/fires/equal-depths'],
    ['the first BN put back', 'RA016/fires/first-bn-back'],
  ];
  for (const [change, fixture] of SINGLE_CHANGES) {
    const code = fixture.slice(0, 5);
    it(`RobArch-S with ${change} raises ${code} and nothing else`, () => {
      assert.deepEqual(codesOf(lintFile(`test/fixtures/rules/${fixture}.arch.yaml`)), [code]);
    });
  }

  for (const file of fs.readdirSync(repoPath('test/fixtures/rules/hydra')).sort()) {
    const code = file.slice(0, 5);
    it(`the Hydra form raises ${code} for ${file}`, () => {
      assert.deepEqual(codesOf(lintFile(`test/fixtures/rules/hydra/${file}`)), [code]);
    });
  }
});
