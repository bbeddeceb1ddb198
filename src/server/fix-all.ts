import type { CodeAction, Diagnostic as LspDiagnostic, Range, TextEdit } from 'vscode-languageserver/node';
import type { DiagnosticData } from './to-lsp';

/** Our fix-all kind: `"editor.codeActionsOnSave": { "source.fixAll.robustnessLens": "explicit" }` runs it. */
export const FIX_ALL_KIND = 'source.fixAll.robustnessLens';

/** Whether a request limited to `only` kinds wants the fix-all action (a parent kind such as `source.fixAll` does). */
export function wantsFixAll(only: readonly string[] | undefined): boolean {
  return only !== undefined && only.some((kind) => kind === FIX_ALL_KIND || FIX_ALL_KIND.startsWith(`${kind}.`));
}

function before(a: Range['start'], b: Range['start']): boolean {
  return a.line < b.line || (a.line === b.line && a.character < b.character);
}

/** Edits overlap when one starts before the other ends; two insertions at one point overlap too. */
function overlaps(a: Range, b: Range): boolean {
  if (before(a.end, b.start) || before(b.end, a.start)) return false;
  const touching = (x: Range, y: Range): boolean =>
    x.end.line === y.start.line && x.end.character === y.start.character;
  const empty = (r: Range): boolean => r.start.line === r.end.line && r.start.character === r.end.character;
  if ((touching(a, b) && !empty(b)) || (touching(b, a) && !empty(a))) return false;
  return true;
}

const sameEdit = (a: TextEdit, b: TextEdit): boolean => JSON.stringify(a) === JSON.stringify(b);

/**
 * "Fix all Robustness Lens problems": every safe fix (one that keeps the parameter count) of the
 * document's diagnostics, in one edit. A fix whose edits collide with one already taken waits for
 * the next run (the file is analysed again after the edit), as ESLint's fix-all does; unsafe fixes
 * change the model's capacity and stay one-by-one quick fixes. Undefined when nothing is safe to fix.
 */
export function fixAllAction(uri: string, diagnostics: readonly LspDiagnostic[]): CodeAction | undefined {
  const taken: TextEdit[] = [];
  const fixed: LspDiagnostic[] = [];
  for (const diagnostic of diagnostics) {
    if (diagnostic.source !== 'robustness-lens') continue;
    const fix = (diagnostic.data as DiagnosticData | undefined)?.fix;
    if (!fix || fix.safety !== 'safe' || fix.edits.length === 0) continue;
    const edits = fix.edits.map((e) => ({ range: e.range, newText: e.newText }));
    // The same fix reached through another finding (one fix per block, say) counts once.
    if (edits.every((e) => taken.some((t) => sameEdit(t, e)))) {
      fixed.push(diagnostic);
      continue;
    }
    if (edits.some((e) => taken.some((t) => overlaps(t.range, e.range)))) continue;
    taken.push(...edits);
    fixed.push(diagnostic);
  }
  if (taken.length === 0) return undefined;
  return {
    title: 'Fix all Robustness Lens problems (safe fixes)',
    kind: FIX_ALL_KIND,
    diagnostics: fixed,
    edit: { changes: { [uri]: taken } },
  };
}
