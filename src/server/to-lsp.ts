import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { DiagnosticSeverity, type Diagnostic as LspDiagnostic } from 'vscode-languageserver/node';
import { readerCodeByCode, type Diagnostic, type Fix } from '../core';

const SEVERITY: Record<Diagnostic['severity'], DiagnosticSeverity> = {
  error: DiagnosticSeverity.Error,
  warning: DiagnosticSeverity.Warning,
  info: DiagnosticSeverity.Information,
  hint: DiagnosticSeverity.Hint,
};

/** What a diagnostic carries to the code-action request (LSP returns `data` unchanged). */
export interface DiagnosticData {
  readonly fix?: Fix;
}

/** The code's documentation page shipped with the extension (docs/rules/RA0NN.md, RL1NN.md for reading problems). */
export function ruleDocUri(code: string, extensionRoot: string): string | undefined {
  return /^RA\d{3}$/.test(code) || readerCodeByCode(code)
    ? pathToFileURL(path.join(extensionRoot, 'docs', 'rules', `${code}.md`)).href
    : undefined;
}

export function toLspDiagnostic(d: Diagnostic, extensionRoot: string): LspDiagnostic {
  const href = ruleDocUri(d.code, extensionRoot);
  const data: DiagnosticData = d.fix ? { fix: d.fix } : {};
  return {
    range: d.range,
    severity: SEVERITY[d.severity],
    code: d.code,
    ...(href ? { codeDescription: { href } } : {}),
    source: 'robustness-lens',
    message: d.message,
    data,
  };
}
