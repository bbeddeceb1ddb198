import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { findLintConfig, isRuleEnabled, mergeConfigs, parseLintConfig } from '../../src/core';
import { repoPath } from '../helpers/paths';
import { codesOf, lintFile, lintText } from '../helpers/lint';
import { writeTemp } from '../helpers/temp';

describe('rule selection like Ruff', () => {
  it('selects all by default; select, extend-select and ignore work by prefix', () => {
    assert.equal(isRuleEnabled('RA011', {}), true);
    assert.equal(isRuleEnabled('RA011', { select: ['RA01'] }), true);
    assert.equal(isRuleEnabled('RA002', { select: ['RA01'] }), false);
    assert.equal(isRuleEnabled('RA002', { select: ['RA01'], extendSelect: ['RA002'] }), true);
    assert.equal(isRuleEnabled('RA011', { ignore: ['RA011'] }), false);
    // The more specific selector wins.
    assert.equal(isRuleEnabled('RA011', { select: ['RA011'], ignore: ['RA01'] }), true);
    assert.equal(isRuleEnabled('RA012', { select: ['RA011'], ignore: ['RA01'] }), false);
  });

  it('applies select, ignore and per-rule severity to a real lint', () => {
    const all = codesOf(lintFile('examples/resnet50.arch.yaml'));
    assert.ok(all.length >= 6);
    assert.deepEqual(codesOf(lintFile('examples/resnet50.arch.yaml', { config: { select: ['RA011'] } })), ['RA011']);
    assert.ok(!codesOf(lintFile('examples/resnet50.arch.yaml', { config: { ignore: ['RA011'] } })).includes('RA011'));
    const severities = lintFile('examples/resnet50.arch.yaml', { config: { severity: { RA011: 'error' } } })
      .filter((d) => d.code === 'RA011')
      .map((d) => d.severity);
    assert.deepEqual([...new Set(severities)], ['error']);
  });

  it('later layers override earlier ones (config file, then settings, then CLI)', () => {
    const merged = mergeConfigs({ select: ['RA0'], budget: 26e6 }, { ignore: ['RA013'] }, { budget: 30e6 });
    assert.deepEqual(merged, { select: ['RA0'], ignore: ['RA013'], budget: 30e6 });
  });
});

describe('configuration files', () => {
  it('reads robustness-lens.toml', () => {
    const parsed = parseLintConfig(
      'robustness-lens.toml',
      'select = ["RA01"]\nignore = ["RA013"]\nbudget = "46M"\n[severity]\nRA011 = "error"\n',
    );
    assert.deepEqual(parsed, {
      config: { select: ['RA01'], ignore: ['RA013'], budget: 46_000_000, severity: { RA011: 'error' } },
      diagnostics: [],
    });
  });

  it('reads [tool.robustness-lens] from pyproject.toml and nothing from one without it', () => {
    const parsed = parseLintConfig(
      'pyproject.toml',
      '[project]\nname = "x"\n\n[tool.robustness-lens]\nextend-select = ["RA018"]\n',
    );
    assert.deepEqual(parsed.config, { extendSelect: ['RA018'] });
    assert.deepEqual(parseLintConfig('pyproject.toml', '[project]\nname = "x"\n'), { diagnostics: [] });
  });

  it('reports a bad setting at its line', () => {
    const unknown = parseLintConfig('robustness-lens.toml', 'select = ["RA01"]\nfix = true\n');
    assert.equal(unknown.diagnostics[0]?.range.start.line, 1);
    assert.match(unknown.diagnostics[0]?.message ?? '', /unknown setting "fix"/);
    const badCode = parseLintConfig('robustness-lens.toml', 'ignore = ["E501"]\n');
    assert.match(badCode.diagnostics[0]?.message ?? '', /ignore must be a list of rule codes/);
    const syntax = parseLintConfig('robustness-lens.toml', 'select = [\n');
    assert.equal(syntax.diagnostics[0]?.code, 'RL120');
  });

  it('finds the closest config file upwards, robustness-lens.toml before pyproject.toml', () => {
    const outer = path.dirname(writeTemp('cfg/robustness-lens.toml', 'select = ["RA01"]\n'));
    writeTemp('cfg/a/pyproject.toml', '[project]\nname = "no table here"\n');
    writeTemp('cfg/a/b/pyproject.toml', '[tool.robustness-lens]\nignore = ["RA011"]\n');
    writeTemp('cfg/a/b/robustness-lens.toml', 'ignore = ["RA013"]\n');
    const read = (file: string): string | undefined =>
      fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : undefined;
    const inB = findLintConfig(path.join(outer, 'a', 'b'), read);
    assert.equal(inB.file, path.join(outer, 'a', 'b', 'robustness-lens.toml'));
    assert.deepEqual(inB.config, { ignore: ['RA013'] });
    // a/ has a pyproject.toml without the table: the search goes on up to cfg/.
    const inA = findLintConfig(path.join(outer, 'a'), read);
    assert.equal(inA.file, path.join(outer, 'robustness-lens.toml'));
    assert.deepEqual(inA.config, { select: ['RA01'] });
  });
});

describe('suppression comments', () => {
  const file = 'examples/resnet50.arch.yaml';
  const text = fs.readFileSync(repoPath(file), 'utf8');

  it('ignore[CODE] silences that rule on its line only', () => {
    const suppressed = text.replace(
      'activations: [relu, relu, relu]',
      'activations: [relu, relu, relu]  # robustness-lens: ignore[RA011]',
    );
    const codes = codesOf(lintText(file, suppressed));
    assert.ok(!codes.includes('RA011'));
    assert.ok(codes.includes('RA016'));
  });

  it('ignore without codes silences every rule on its line', () => {
    const suppressed = text.replace(
      '  norms: [batch, batch, batch]',
      '  norms: [batch, batch, batch]  # robustness-lens: ignore',
    );
    assert.ok(!codesOf(lintText(file, suppressed)).includes('RA016'));
  });

  it('ignore-file silences every rule, but not a broken file', () => {
    assert.deepEqual(codesOf(lintText(file, `# robustness-lens: ignore-file\n${text}`)), []);
    const broken = lintText(file, `# robustness-lens: ignore-file\n${text.replace('stages:', 'stages: [')}`);
    assert.equal(broken[0]?.code, 'RL101');
  });
});
