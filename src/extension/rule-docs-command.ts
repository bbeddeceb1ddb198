import * as vscode from 'vscode';
import { RULES } from '../core/rules/registry';

/** `Robustness Lens: Open Rule Documentation`: pick a rule, read its page (the paper's evidence, examples, fix). */
export async function openRuleDocumentation(context: vscode.ExtensionContext, code?: string): Promise<void> {
  let chosen = code;
  if (!chosen) {
    const pick = await vscode.window.showQuickPick(
      RULES.map((r) => ({ label: r.code, description: r.title, detail: `guideline ${r.guideline} · ${r.level}` })),
      { placeHolder: 'Which guideline rule?', matchOnDescription: true },
    );
    chosen = pick?.label;
  }
  if (!chosen || !/^RA\d{3}$/.test(chosen)) return;
  const uri = vscode.Uri.joinPath(context.extensionUri, 'docs', 'rules', `${chosen}.md`);
  await vscode.commands.executeCommand('markdown.showPreview', uri);
}
