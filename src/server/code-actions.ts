import { CodeActionKind, type CodeAction, type Diagnostic as LspDiagnostic, type TextEdit } from 'vscode-languageserver/node';
import type { DiagnosticData } from './to-lsp';

const IGNORE_COMMENT = /#\s*robustness-lens:\s*ignore\[([^\]]*)\]/i;

/** "Ignore RA011 on this line": add the code to the line's suppression comment, or add one. */
function ignoreEdit(lines: readonly string[], line: number, code: string): TextEdit | undefined {
  const text = lines[line];
  if (text === undefined) return undefined;
  const existing = IGNORE_COMMENT.exec(text);
  if (existing && existing.index !== undefined) {
    const codes = (existing[1] ?? '').split(',').map((c) => c.trim()).filter(Boolean);
    if (codes.includes(code)) return undefined;
    const start = existing.index + existing[0].length - 1;
    return { range: { start: { line, character: start }, end: { line, character: start } }, newText: `${codes.length ? ', ' : ''}${code}` };
  }
  const end = text.replace(/\s+$/, '').length;
  return { range: { start: { line, character: end }, end: { line, character: text.length } }, newText: `  # robustness-lens: ignore[${code}]` };
}

/** Quick fixes for the diagnostics in the request's context, plus a suppression action for each rule finding. */
export function codeActionsFor(uri: string, text: string, diagnostics: readonly LspDiagnostic[]): CodeAction[] {
  const actions: CodeAction[] = [];
  const lines = text.split('\n');
  const commentsAllowed = !/\.json$/i.test(uri);
  for (const diagnostic of diagnostics) {
    if (diagnostic.source !== 'robustness-lens') continue;
    const code = String(diagnostic.code ?? '');
    const fix = (diagnostic.data as DiagnosticData | undefined)?.fix;
    if (fix) {
      actions.push({
        title: `${fix.title} (${code})`,
        kind: CodeActionKind.QuickFix,
        diagnostics: [diagnostic],
        isPreferred: fix.safety === 'safe',
        edit: { changes: { [uri]: fix.edits.map((e) => ({ range: e.range, newText: e.newText })) } },
      });
    }
    if (commentsAllowed && /^RA\d{3}$/.test(code)) {
      const edit = ignoreEdit(lines, diagnostic.range.start.line, code);
      if (edit) {
        actions.push({
          title: `Ignore ${code} on this line`,
          kind: CodeActionKind.QuickFix,
          diagnostics: [diagnostic],
          edit: { changes: { [uri]: [edit] } },
        });
      }
    }
  }
  return actions;
}
