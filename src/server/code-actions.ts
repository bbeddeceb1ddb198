import {
  CodeActionKind,
  type CodeAction,
  type Diagnostic as LspDiagnostic,
  type TextEdit,
} from 'vscode-languageserver/node';
import type { DiagnosticData } from './to-lsp';

const IGNORE_COMMENT = /#\s*robustness-lens:\s*ignore\[([^\]]*)\]/i;
const IGNORE_FILE_COMMENT = /#\s*robustness-lens:\s*ignore-file(?:\[([^\]]*)\])?/i;
/** Lines that must stay first: a shebang, Python's encoding declaration (PEP 263), YAML directives. */
const MUST_STAY_FIRST = /^(#!|#.*coding[:=]|%)/;

/** "Ignore RA011 on this line": add the code to the line's suppression comment, or add one. */
function ignoreEdit(lines: readonly string[], line: number, code: string): TextEdit | undefined {
  const text = lines[line];
  if (text === undefined) return undefined;
  const existing = IGNORE_COMMENT.exec(text);
  if (existing && existing.index !== undefined) {
    const codes = (existing[1] ?? '')
      .split(',')
      .map((c) => c.trim())
      .filter(Boolean);
    if (codes.includes(code)) return undefined;
    const start = existing.index + existing[0].length - 1;
    return {
      range: { start: { line, character: start }, end: { line, character: start } },
      newText: `${codes.length ? ', ' : ''}${code}`,
    };
  }
  const end = text.replace(/\s+$/, '').length;
  return {
    range: { start: { line, character: end }, end: { line, character: text.length } },
    newText: `  # robustness-lens: ignore[${code}]`,
  };
}

/**
 * "Ignore RA011 for this file": add the code to the file's `ignore-file[...]` comment, or add one
 * at the top (below a shebang or encoding line). Undefined when the file already ignores it.
 */
function ignoreFileEdit(lines: readonly string[], code: string): TextEdit | undefined {
  for (let line = 0; line < lines.length; line++) {
    const text = lines[line] ?? '';
    const existing = IGNORE_FILE_COMMENT.exec(text);
    if (!existing) continue;
    // A bare ignore-file already silences every rule.
    if (existing[1] === undefined) return undefined;
    const codes = existing[1]
      .split(',')
      .map((c) => c.trim().toUpperCase())
      .filter(Boolean);
    if (codes.includes(code)) return undefined;
    const at = existing.index + existing[0].length - 1;
    const where = { line, character: at };
    return { range: { start: where, end: where }, newText: `${codes.length ? ', ' : ''}${code}` };
  }
  let line = 0;
  while (line < lines.length && MUST_STAY_FIRST.test(lines[line] ?? '')) line++;
  const top = { line, character: 0 };
  return { range: { start: top, end: top }, newText: `# robustness-lens: ignore-file[${code}]\n` };
}

/** Quick fixes for the diagnostics in the request's context, plus suppression actions for each rule finding. */
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
      const fileEdit = ignoreFileEdit(lines, code);
      // One per code, however many of its findings the request holds.
      if (fileEdit && !actions.some((a) => a.title === `Ignore ${code} for this file`)) {
        actions.push({
          title: `Ignore ${code} for this file`,
          kind: CodeActionKind.QuickFix,
          diagnostics: [diagnostic],
          edit: { changes: { [uri]: [fileEdit] } },
        });
      }
    }
  }
  return actions;
}
