import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import type { TextEdit } from 'vscode-languageserver/node';
import { applyEdits, networksOf, readModelFile, summarize } from '../../src/core';
import { fixAllAction, FIX_ALL_KIND, wantsFixAll } from '../../src/server/fix-all';
import { toLspDiagnostic, type DiagnosticData } from '../../src/server/to-lsp';
import { repoPath } from '../helpers/paths';
import { lintText } from '../helpers/lint';
import { usePythonParser } from '../helpers/python';

const URI = 'file:///work/model';

function diagnosticsOf(file: string, text: string): ReturnType<typeof toLspDiagnostic>[] {
  return lintText(file, text).map((d) => toLspDiagnostic(d, '/ext'));
}

function totals(file: string, text: string): (number | undefined)[] {
  return networksOf(readModelFile(file, text)).map((n) => {
    const s = summarize(n, 224);
    return s.total.known ? s.total.value : undefined;
  });
}

const safeFixes = (diagnostics: ReturnType<typeof diagnosticsOf>): string[] =>
  diagnostics.filter((d) => (d.data as DiagnosticData | undefined)?.fix?.safety === 'safe').map((d) => String(d.code));

describe('fix all Robustness Lens problems', () => {
  usePythonParser();

  it('answers requests for its own kind and its parents only', () => {
    assert.equal(wantsFixAll([FIX_ALL_KIND]), true);
    assert.equal(wantsFixAll(['source.fixAll']), true);
    assert.equal(wantsFixAll(['source']), true);
    assert.equal(wantsFixAll(['quickfix']), false);
    assert.equal(wantsFixAll(['source.fixAll.eslint']), false);
    assert.equal(wantsFixAll(undefined), false);
  });

  for (const file of ['examples/resnet50.arch.yaml', 'examples/pytorch/resnet.py']) {
    it(`applies every safe fix of ${file} at once, keeps the parameter counts and leaves unsafe ones`, () => {
      let text = fs.readFileSync(repoPath(file), 'utf8');
      const before = diagnosticsOf(file, text);
      const safeBefore = safeFixes(before);
      assert.ok(safeBefore.length > 0, `${file} has safe fixes to apply: ${before.map((d) => d.code).join(', ')}`);
      const countsBefore = totals(file, text);
      // Overlapping fixes wait for the next run, as on a second save.
      for (let run = 0; run < 4; run++) {
        const action = fixAllAction(URI, diagnosticsOf(file, text));
        if (!action) break;
        assert.equal(action.kind, FIX_ALL_KIND);
        text = applyEdits(text, action.edit?.changes?.[URI] as TextEdit[]);
      }
      const after = diagnosticsOf(file, text);
      assert.deepEqual(safeFixes(after), [], 'no safe fix is left');
      assert.deepEqual(totals(file, text), countsBefore, 'safe fixes keep every parameter count');
      const unsafeBefore = before.filter((d) => (d.data as DiagnosticData | undefined)?.fix?.safety === 'unsafe');
      for (const d of unsafeBefore) {
        assert.ok(
          after.some((a) => a.code === d.code),
          `${String(d.code)} (unsafe fix) is left for the user`,
        );
      }
      assert.equal(fixAllAction(URI, after), undefined, 'nothing left to fix all');
    });
  }
});
