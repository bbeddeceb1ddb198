import * as vscode from 'vscode';
import { READER_CODES } from '../core/rules/reader-codes';
import { RULES } from '../core/rules/registry';

const CODE = /^R[AL]\d{3}$/;

/**
 * `Robustness Lens: Open Rule Documentation`: pick a rule (or a reading problem), read its page,
 * rendered by VS Code's Markdown preview from the docs/rules pages the package ships. Diagnostics'
 * code links call it with the code.
 */
export async function openRuleDocumentation(context: vscode.ExtensionContext, code?: string): Promise<void> {
  let chosen = code;
  if (!chosen) {
    const pick = await vscode.window.showQuickPick(
      [
        ...RULES.map((r) => ({
          label: r.code,
          description: r.title,
          detail: `guideline ${r.guideline} · ${r.level}`,
        })),
        ...READER_CODES.map((c) => ({ label: c.code, description: c.title, detail: 'reading problem' })),
      ],
      { placeHolder: 'Which guideline rule or reading problem?', matchOnDescription: true },
    );
    chosen = pick?.label;
  }
  if (!chosen || !CODE.test(chosen)) return;
  const uri = vscode.Uri.joinPath(context.extensionUri, 'docs', 'rules', `${chosen}.md`);
  try {
    await vscode.workspace.fs.stat(uri);
  } catch {
    void vscode.window.showWarningMessage(`Robustness Lens: no documentation page for ${chosen} in this installation.`);
    return;
  }
  await vscode.commands.executeCommand('markdown.showPreview', uri);
}
