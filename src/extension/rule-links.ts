import * as vscode from 'vscode';

const PAGE = /\/docs\/rules\/(R[AL]\d{3})\.md$/;

/** The command URI that opens a code's rendered page inside VS Code (Problems panel and hover allow commands). */
export function ruleCommandUri(code: string): vscode.Uri {
  return vscode.Uri.parse(`command:robustnessLens.openRuleDocumentation?${encodeURIComponent(JSON.stringify([code]))}`);
}

/**
 * The server links each code to its page as a file (any LSP editor can open that); in VS Code the
 * link opens the rendered page in the Markdown preview instead of the raw Markdown.
 */
export function withRenderedRuleLinks(diagnostics: vscode.Diagnostic[]): vscode.Diagnostic[] {
  for (const diagnostic of diagnostics) {
    const code = diagnostic.code;
    if (typeof code !== 'object' || code.target.scheme !== 'file') continue;
    const page = PAGE.exec(code.target.path)?.[1];
    if (page) diagnostic.code = { value: code.value, target: ruleCommandUri(page) };
  }
  return diagnostics;
}
