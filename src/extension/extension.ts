import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import { showParameterBreakdown } from './breakdown-panel';
import { startLanguageClient } from './client';

let client: LanguageClient | undefined;

export function activate(context: vscode.ExtensionContext): void {
  if (vscode.workspace.getConfiguration('robustnessLens').get<boolean>('enable', true)) {
    client = startLanguageClient(context);
  }
  context.subscriptions.push(
    vscode.commands.registerCommand('robustnessLens.showParameterBreakdown', () => showParameterBreakdown(context)),
  );
}

export async function deactivate(): Promise<void> {
  await client?.stop();
}
