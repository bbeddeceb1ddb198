import { ruleByCode, type Diagnostic } from '../../core';

/** `--format json`: one object per finding or file problem. */
export function toLintJson(diagnostics: readonly Diagnostic[]): Record<string, unknown>[] {
  return diagnostics.map((d) => {
    const rule = ruleByCode(d.code);
    return {
      code: d.code,
      severity: d.severity,
      file: d.file,
      line: d.range.start.line + 1,
      column: d.range.start.character + 1,
      endLine: d.range.end.line + 1,
      endColumn: d.range.end.character + 1,
      message: d.message,
      ...(rule ? { rule: rule.name, guideline: rule.guideline } : {}),
      fix: d.fix
        ? {
            title: d.fix.title,
            safety: d.fix.safety,
            edits: d.fix.edits.map((e) => ({
              line: e.range.start.line + 1,
              column: e.range.start.character + 1,
              endLine: e.range.end.line + 1,
              endColumn: e.range.end.character + 1,
              newText: e.newText,
            })),
          }
        : null,
    };
  });
}
