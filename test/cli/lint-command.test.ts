import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import Ajv from 'ajv-draft-04';
import addFormats from 'ajv-formats';
import { cli } from '../helpers/cli';
import { repoPath } from '../helpers/paths';
import { writeTemp } from '../helpers/temp';

interface JsonFinding {
  code: string;
  severity: string;
  line: number;
  column: number;
  message: string;
  fix: unknown;
}

describe('robustness-lens lint', () => {
  it('exits 0 with no findings on RobArch-S', () => {
    const result = cli('lint', repoPath('examples/robarch-s.arch.yaml'), '--no-config');
    assert.equal(result.code, 0, result.stdout);
    assert.match(result.stdout, /All checks passed \(1 file\)\./);
  });

  it('prints Ruff-style lines and exits 1 on ResNet-50', () => {
    const file = repoPath('examples/resnet50.arch.yaml');
    const result = cli('lint', file, '--no-config');
    assert.equal(result.code, 1);
    assert.match(
      result.stdout,
      new RegExp(
        `^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:15:17: RA011 \\[\\*\\] ReLU as ` +
          `the activation of the first \\(1x1\\) conv.*; SiLU was more robust$`,
        'm',
      ),
    );
    assert.match(result.stdout, /^Found \d+ findings in 1 file \(\[\*\] \d+ with a quick fix in the editor\)\.$/m);
  });

  it('exits 2 on a file that cannot be read', () => {
    const broken = writeTemp('broken.arch.yaml', 'stem: [\n');
    const result = cli('lint', broken);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /broken\.arch\.yaml:2:1: RL101 invalid YAML/);
  });

  it('--format json gives code, severity, line, column and message for each finding', () => {
    const result = cli('lint', repoPath('examples/resnet50.arch.yaml'), '--format', 'json', '--select', 'RA006');
    const findings = JSON.parse(result.stdout) as JsonFinding[];
    assert.equal(findings.length, 1);
    assert.deepEqual(
      {
        code: findings[0]?.code,
        severity: findings[0]?.severity,
        line: findings[0]?.line,
        column: findings[0]?.column,
      },
      { code: 'RA006', severity: 'warning', line: 11, column: 3 },
    );
    assert.ok(findings[0]?.fix);
  });

  it('--budget is used by the budget-aware rules', () => {
    const file = repoPath('test/fixtures/rules/RA009/fires/kernel-5-over-budget.arch.yaml');
    assert.equal(cli('lint', file, '--select', 'RA009').code, 1);
    assert.equal(cli('lint', file, '--select', 'RA009', '--budget', '40M').code, 0);
  });

  it('walks directories, honouring .gitignore, and picks RobArch configs by content', () => {
    const spec = fs.readFileSync(repoPath('test/fixtures/rules/RA010/fires/dilation-2.arch.yaml'), 'utf8');
    const hydra = fs.readFileSync(repoPath('test/fixtures/rules/hydra/RA008-dense.yaml'), 'utf8');
    const root = path.dirname(writeTemp('walk/.gitignore', 'ignored/\n*.tmp.arch.yaml\n'));
    writeTemp('walk/models/a.arch.yaml', spec);
    writeTemp('walk/models/config/model.yaml', hydra);
    writeTemp('walk/models/other.yaml', 'name: not a model\n');
    writeTemp('walk/ignored/b.arch.yaml', spec);
    writeTemp('walk/models/c.tmp.arch.yaml', spec);
    writeTemp('walk/node_modules/d.arch.yaml', spec);
    const findings = JSON.parse(cli('lint', root, '--format', 'json', '--no-config').stdout) as (JsonFinding & {
      file: string;
    })[];
    const files = [...new Set(findings.map((f) => path.relative(root, path.resolve(f.file))))].sort();
    assert.deepEqual(files, [path.join('models', 'a.arch.yaml'), path.join('models', 'config', 'model.yaml')]);
    assert.deepEqual([...new Set(findings.map((f) => f.code).filter((c) => c.startsWith('RA')))].sort(), [
      'RA008',
      'RA010',
    ]);
  });

  it('reads the nearest robustness-lens.toml', () => {
    const model = writeTemp(
      'configured/sub/resnet.arch.yaml',
      fs.readFileSync(repoPath('examples/resnet50.arch.yaml'), 'utf8'),
    );
    writeTemp('configured/robustness-lens.toml', 'select = ["RA016"]\n');
    const findings = JSON.parse(cli('lint', model, '--format', 'json').stdout) as JsonFinding[];
    assert.deepEqual([...new Set(findings.map((f) => f.code))], ['RA016']);
    // CLI options override the file.
    const overridden = JSON.parse(cli('lint', model, '--format', 'json', '--select', 'RA007').stdout) as JsonFinding[];
    assert.deepEqual([...new Set(overridden.map((f) => f.code))], ['RA007']);
  });

  it('--format sarif validates against the SARIF 2.1.0 schema', () => {
    const schema = JSON.parse(
      fs.readFileSync(repoPath('node_modules/@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json'), 'utf8'),
    ) as object;
    // The published schema has a language-tag pattern that is only valid without the u flag.
    const ajv = new Ajv({ allErrors: true, strict: false, unicodeRegExp: false });
    addFormats(ajv);
    const validate = ajv.compile(schema);
    const result = cli(
      'lint',
      repoPath('examples'),
      repoPath('test/fixtures/rules/RA009'),
      '--format',
      'sarif',
      '--no-config',
    );
    const log = JSON.parse(result.stdout) as { runs: { results: unknown[]; tool: { driver: { rules: unknown[] } } }[] };
    assert.equal(validate(log), true, JSON.stringify(validate.errors?.slice(0, 5), null, 2));
    assert.equal(log.runs[0]?.tool.driver.rules.length, 18);
    assert.ok((log.runs[0]?.results.length ?? 0) > 5);
  });

  it('rejects unknown formats and selectors with exit 2', () => {
    assert.equal(cli('lint', repoPath('examples'), '--format', 'xml').code, 2);
    assert.equal(cli('lint', repoPath('examples'), '--select', 'E501').code, 2);
  });
});

describe('robustness-lens rule', () => {
  it("prints a rule's documentation", () => {
    const result = cli('rule', 'RA011');
    assert.equal(result.code, 0);
    assert.match(result.stdout, /^# RA011: Use SiLU \(or GELU\) in the blocks/);
  });
});
