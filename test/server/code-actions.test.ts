import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import type { TextEdit } from 'vscode-languageserver/node';
import { applyEdits } from '../../src/core';
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
  });

  it('offers the rule\'s quick fix and applying it removes the finding', () => {
    const diagnostic = lspDiagnostics(TEXT).find((d) => d.code === 'RA006');
    assert.ok(diagnostic);
    const actions = codeActionsFor(URI, TEXT, [diagnostic]);
    assert.deepEqual(actions.map((a) => a.title), ['Remove the stem max-pool and downsample in stage 1 (RA006)', 'Ignore RA006 on this line']);
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

  it('offers no comment-based suppression in JSON files', () => {
    const diagnostic = lspDiagnostics(TEXT).find((d) => d.code === 'RA011');
    assert.ok(diagnostic);
    assert.ok(!codeActionsFor('file:///m.arch.json', TEXT, [diagnostic]).some((a) => a.title.startsWith('Ignore')));
  });
});
