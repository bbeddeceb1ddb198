import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { cli } from '../helpers/cli';
import { repoPath } from '../helpers/paths';
import { writeTemp } from '../helpers/temp';

const VALID = fs.readFileSync(repoPath('examples/resnet50.arch.yaml'), 'utf8');
const VALID_HYDRA = fs.readFileSync(repoPath('examples/hydra/robarch_s.yaml'), 'utf8');

/** Expects exit 2 and exactly one error line `file:line:col: error CODE message`, with no stack trace. */
function expectOneError(file: string, code: string, line: number, column: number, message: RegExp): void {
  const result = cli('params', file);
  assert.equal(result.code, 2, result.stderr);
  assert.equal(result.stdout, '');
  const errors = result.stderr.split('\n').filter((l) => l.includes(': error '));
  assert.equal(errors.length, 1, result.stderr);
  assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace');
  const expected = `${file}:${line}:${column}: error ${code} `;
  assert.ok(errors[0]?.startsWith(expected), `expected "${expected}...", got "${errors[0]}"`);
  assert.match(errors[0] ?? '', message);
}

function variant(name: string, from: string, to: string, base = VALID): string {
  assert.ok(base.includes(from), `fixture text "${from}" not found`);
  return writeTemp(name, base.replace(from, to));
}

describe('malformed model files get one clear message and exit code 2', () => {
  it('broken YAML', () => {
    const file = variant('broken.arch.yaml', '  - { depth: 4, width: 512', '  - { depth: 4, width: [512');
    expectOneError(file, 'RL101', 22, 69, /invalid YAML/);
  });

  it('broken JSON', () => {
    const file = writeTemp('broken.arch.json', '{\n  "stem": { "width": 64 },\n  "block": {}\n  "stages": []\n}\n');
    expectOneError(file, 'RL101', 4, 3, /invalid JSON/);
  });

  it('unknown key, with a suggestion', () => {
    const file = variant('unknown-key.arch.yaml', '  max_pool: true', '  max_pol: true');
    expectOneError(file, 'RL102', 11, 3, /unknown key "max_pol" in stem; did you mean "max_pool"\?/);
  });

  it('unknown top-level key, listing what is allowed when nothing is close', () => {
    const file = variant('unknown-top.arch.yaml', 'num_classes: 1000', 'optimizer: sgd');
    expectOneError(
      file,
      'RL102',
      6,
      1,
      /unknown key "optimizer" in the document; expected one of: version, name, budget/,
    );
  });

  it('wrong type', () => {
    const file = variant('wrong-type.arch.yaml', '{ depth: 6,', '{ depth: six,');
    expectOneError(file, 'RL102', 23, 14, /stages\[2\]\.depth must be a whole number, got "six"/);
  });

  it('negative depth', () => {
    const file = variant('negative-depth.arch.yaml', '{ depth: 3, width: 256', '{ depth: -3, width: 256');
    expectOneError(file, 'RL102', 21, 14, /stages\[0\]\.depth must be >= 1, got -3/);
  });

  it('unknown activation name, with a suggestion', () => {
    const file = variant(
      'bad-activation.arch.yaml',
      'activations: [relu, relu, relu]',
      'activations: [relu, silue, relu]',
    );
    expectOneError(
      file,
      'RL102',
      15,
      23,
      /block\.activations\[1\] must be one of: .*got "silue" \(did you mean "silu"\?\)/,
    );
  });

  it('width not divisible by its groups', () => {
    const file = variant(
      'groups.arch.yaml',
      '{ depth: 6, width: 1024, stride: 2, bottleneck: 0.25, groups: 1 }',
      '{ depth: 6, width: 1000, stride: 2, bottleneck: 0.25, groups: 3 }',
    );
    expectOneError(
      file,
      'RL103',
      23,
      67,
      /stages\[2\]: bottleneck width 250 \(= round\(0\.25 x 1000\)\) is not divisible by 3 groups/,
    );
  });

  it('a 50 MB file is refused without being parsed', () => {
    const file = writeTemp('huge.arch.yaml', Buffer.alloc(50 * 1024 * 1024, '#'));
    expectOneError(file, 'RL100', 1, 1, /file is 50\.0 MiB; model description files are limited to 4 MiB/);
  });

  it('a file that is no model description', () => {
    const file = writeTemp('other.yaml', 'name: something\nitems: [1, 2]\n');
    expectOneError(file, 'RL105', 1, 1, /not a model file Robustness Lens reads/);
  });

  it('a missing file', () => {
    expectOneError(repoPath('examples', 'missing.arch.yaml'), 'RL100', 1, 1, /cannot read: no such file/);
  });

  it('Hydra config: unknown kwargs key', () => {
    const file = variant('hydra-unknown.yaml', '  dense_ratio: null', '  dense_ration: null', VALID_HYDRA);
    expectOneError(file, 'RL102', 49, 3, /unknown key "dense_ration" in kwargs; did you mean "dense_ratio"\?/);
  });

  it('Hydra config: a class RobArch cannot build', () => {
    const file = variant('hydra-class.yaml', 'path: torch.nn.SiLU', 'path: torch.nn.Swish', VALID_HYDRA);
    expectOneError(file, 'RL104', 26, 13, /unsupported activation class torch\.nn\.Swish/);
  });

  it("Hydra config: GroupNorm, which RobArch's code cannot construct with one argument", () => {
    const file = variant('hydra-groupnorm.yaml', 'path: torch.nn.Identity', 'path: torch.nn.GroupNorm', VALID_HYDRA);
    expectOneError(file, 'RL104', 19, 13, /GroupNorm needs num_groups/);
  });

  it('Hydra config: lists of different lengths', () => {
    const file = variant('hydra-lengths.yaml', '  depths:\n    - 5\n', '  depths:\n', VALID_HYDRA);
    expectOneError(file, 'RL103', 45, 5, /depths has 3 entries but stage_widths has 4/);
  });

  it('Hydra config: negative depth', () => {
    const file = variant('hydra-negative.yaml', '  depths:\n    - 5\n', '  depths:\n    - -5\n', VALID_HYDRA);
    expectOneError(file, 'RL102', 45, 7, /kwargs.depths\[0\] must be >= 1, got -5/);
  });
});

describe('command-line usage errors exit with 2', () => {
  it('unknown command', () => {
    const result = cli('frobnicate');
    assert.equal(result.code, 2);
    assert.match(result.stderr, /unknown command "frobnicate"/);
  });

  it('unknown option', () => {
    const result = cli('params', repoPath('examples/resnet50.arch.yaml'), '--colour');
    assert.equal(result.code, 2);
    assert.match(result.stderr, /--colour/);
  });

  it('bad --input', () => {
    const result = cli('params', repoPath('examples/resnet50.arch.yaml'), '--input', 'big');
    assert.equal(result.code, 2);
    assert.match(result.stderr, /--input must be a positive whole number/);
  });

  it('no file', () => {
    assert.equal(cli('params').code, 2);
  });
});
