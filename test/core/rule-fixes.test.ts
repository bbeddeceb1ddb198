import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { applyEdits, readModelFile } from '../../src/core';
import { repoPath } from '../helpers/paths';
import { lintText } from '../helpers/lint';

function allFixtures(): string[] {
  const root = repoPath('test/fixtures/rules');
  return (fs.readdirSync(root, { recursive: true }) as string[])
    .map((f) => path.join('test/fixtures/rules', String(f)))
    .filter((f) => /\.(ya?ml|json)$/.test(f) && !f.includes(`${path.sep}silent${path.sep}`))
    .sort();
}

describe('quick fixes resolve what they promise', () => {
  for (const file of allFixtures()) {
    const text = fs.readFileSync(repoPath(file), 'utf8');
    const fixable = lintText(file, text).filter((d) => d.fix);
    for (const finding of fixable) {
      it(`${file}: "${finding.fix?.title}" removes that ${finding.code} finding`, () => {
        const fixed = applyEdits(text, finding.fix?.edits ?? []);
        const read = readModelFile(file, fixed);
        assert.deepEqual(
          read.diagnostics.filter((d) => d.severity === 'error'),
          [],
          `the fixed file must still read:\n${fixed}`,
        );
        const before = lintText(file, text).filter((d) => d.code === finding.code).length;
        const after = lintText(file, fixed).filter((d) => d.code === finding.code).length;
        assert.ok(after < before, `${finding.code}: ${before} findings before, ${after} after:\n${fixed}`);
        // Fixes keep everything else the user wrote: only the edited lines differ.
        const changedLines = fixed.split('\n').filter((line, i) => line !== text.split('\n')[i]).length;
        assert.ok(changedLines <= 3, `a fix should touch few lines, touched ${changedLines}`);
      });
    }
  }

  it("adds a missing key in the file's own syntax (YAML block mapping)", () => {
    const file = 'test/fixtures/rules/RA013/fires/no-se.arch.yaml';
    const text = fs.readFileSync(repoPath(file), 'utf8').replace('  se: null\n', '');
    const fix = lintText(file, text).find((d) => d.code === 'RA013')?.fix;
    assert.ok(fix);
    const fixed = applyEdits(text, fix.edits);
    assert.match(fixed, /\n {2}shortcut_norm: batch\n {2}se: \{ ratio: 0\.25, activation: relu \}\n/);
  });

  it('edits a JSON spec with JSON syntax', () => {
    const file = 'test/fixtures/arch-spec/robarch-l.arch.json';
    const text = fs.readFileSync(repoPath(file), 'utf8').replace('"silu",\n\t\t\t"silu"', '"silu",\n\t\t\t"relu"');
    const fix = lintText(file, text).find((d) => d.code === 'RA011')?.fix;
    assert.ok(fix);
    assert.deepEqual(
      fix.edits.map((e) => e.newText),
      ['"silu"'],
    );
    assert.equal(lintText(file, applyEdits(text, fix.edits)).filter((d) => d.code === 'RA011').length, 0);
  });
});
