import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import type { TextEdit } from 'vscode-languageserver/node';
import { applyEdits, parseSuppressions } from '../../src/core';
import { codeActionsFor } from '../../src/server/code-actions';
import { toLspDiagnostic } from '../../src/server/to-lsp';
import { repoPath } from '../helpers/paths';
import { lintText } from '../helpers/lint';

const FILE = 'examples/resnet50.arch.yaml';
const TEXT = fs.readFileSync(repoPath(FILE), 'utf8');
const URI = 'file:///work/resnet50.arch.yaml';

function lspDiagnostics(text: string): ReturnType<typeof toLspDiagnostic>[] {
  return lintText(FILE, text).map((d) => toLspDiagnostic(d, '/ext'));
}

describe('language server code actions', () => {
  it('links each rule diagnostic to its documentation page', () => {
    const ra011 = lspDiagnostics(TEXT).find((d) => d.code === 'RA011');
    assert.equal(ra011?.codeDescription?.href, 'file:///ext/docs/rules/RA011.md');
    const invalid = toLspDiagnostic(
      {
        file: 'm.py',
        range: ra011?.range ?? { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } },
        severity: 'error',
        code: 'RL101',
        message: 'invalid Python',
      },
      '/ext',
    );
    assert.equal(invalid.codeDescription?.href, 'file:///ext/docs/rules/RL101.md', 'reading problems have pages too');
  });

  it("offers the rule's quick fix and applying it removes the finding", () => {
    const diagnostic = lspDiagnostics(TEXT).find((d) => d.code === 'RA006');
    assert.ok(diagnostic);
    const actions = codeActionsFor(URI, TEXT, [diagnostic]);
    const fix = 'Remove the stem max-pool and downsample in stage 1 (RA006)';
    const titles = [fix, 'Ignore RA006 on this line', 'Ignore RA006 for this file'];
    assert.deepEqual(
      actions.map((a) => a.title),
      titles,
    );
    const edits = actions[0]?.edit?.changes?.[URI] as TextEdit[];
    const fixed = applyEdits(TEXT, edits);
    assert.ok(!lspDiagnostics(fixed).some((d) => d.code === 'RA006'));
  });

  it('"Ignore on this line" adds a suppression comment, then extends it', () => {
    const first = lspDiagnostics(TEXT).find((d) => d.code === 'RA011');
    assert.ok(first);
    const ignore = codeActionsFor(URI, TEXT, [first]).find((a) => a.title === 'Ignore RA011 on this line');
    const once = applyEdits(TEXT, ignore?.edit?.changes?.[URI] as TextEdit[]);
    assert.match(once, /activations: \[relu, relu, relu\] {2}# robustness-lens: ignore\[RA011\]\n/);
    assert.ok(!lspDiagnostics(once).some((d) => d.code === 'RA011'));

    const onSameLine = once.replace('activations: [relu, relu, relu]', 'activations: [relu, none, relu]');
    const ra012 = lspDiagnostics(onSameLine).find((d) => d.code === 'RA012');
    assert.ok(ra012);
    const extend = codeActionsFor(URI, onSameLine, [ra012]).find((a) => a.title === 'Ignore RA012 on this line');
    const twice = applyEdits(onSameLine, extend?.edit?.changes?.[URI] as TextEdit[]);
    assert.match(twice, /# robustness-lens: ignore\[RA011, RA012\]\n/);
  });

  it('"Ignore for this file" silences that rule in the whole file, then extends its comment', () => {
    const before = lspDiagnostics(TEXT);
    const ra011 = before.filter((d) => d.code === 'RA011');
    assert.ok(ra011.length > 0);
    const actions = codeActionsFor(URI, TEXT, ra011).filter((a) => a.title === 'Ignore RA011 for this file');
    assert.equal(actions.length, 1, 'one action however many findings');
    const once = applyEdits(TEXT, actions[0]?.edit?.changes?.[URI] as TextEdit[]);
    assert.ok(once.startsWith('# robustness-lens: ignore-file[RA011]\n'));
    const after = lspDiagnostics(once);
    assert.deepEqual(
      after.filter((d) => d.code === 'RA011'),
      [],
    );
    const others = (ds: typeof before): string[] =>
      ds
        .filter((d) => d.code !== 'RA011')
        .map((d) => String(d.code))
        .sort();
    assert.deepEqual(others(after), others(before), 'every other rule still reports');

    const ra016 = after.find((d) => d.code === 'RA016');
    assert.ok(ra016);
    const extend = codeActionsFor(URI, once, [ra016]).find((a) => a.title === 'Ignore RA016 for this file');
    const twice = applyEdits(once, extend?.edit?.changes?.[URI] as TextEdit[]);
    assert.ok(twice.startsWith('# robustness-lens: ignore-file[RA011, RA016]\n'));
    assert.ok(!lspDiagnostics(twice).some((d) => d.code === 'RA016' || d.code === 'RA011'));
    // Already ignored: nothing more to offer.
    assert.ok(!codeActionsFor(URI, twice, [ra016]).some((a) => a.title === 'Ignore RA016 for this file'));
  });

  it('"Ignore for this file" keeps a shebang and an encoding line first', () => {
    const python = '#!/usr/bin/env python3\n# -*- coding: utf-8 -*-\nimport torch.nn as nn\n';
    const range = { start: { line: 2, character: 0 }, end: { line: 2, character: 6 } };
    const diagnostic = { range, message: 'm', source: 'robustness-lens', code: 'RA011' };
    const actions = codeActionsFor('file:///m.py', python, [diagnostic]);
    const action = actions.find((a) => a.title === 'Ignore RA011 for this file');
    const edited = applyEdits(python, action?.edit?.changes?.['file:///m.py'] as TextEdit[]);
    const expected = '#!/usr/bin/env python3\n# -*- coding: utf-8 -*-\n# robustness-lens: ignore-file[RA011]\n';
    assert.equal(edited, `${expected}import torch.nn as nn\n`);
    const suppressions = parseSuppressions(edited);
    assert.equal(suppressions.isSuppressed(2, 'RA011'), true);
    assert.equal(suppressions.isSuppressed(2, 'RA013'), false, 'a file-wide code silences that rule only');
  });

  it('offers no comment-based suppression in JSON files', () => {
    const diagnostic = lspDiagnostics(TEXT).find((d) => d.code === 'RA011');
    assert.ok(diagnostic);
    assert.ok(!codeActionsFor('file:///m.arch.json', TEXT, [diagnostic]).some((a) => a.title.startsWith('Ignore')));
  });
});
