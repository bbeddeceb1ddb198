import { performance } from 'node:perf_hooks';
import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import { showParameterBreakdown } from './breakdown-panel';
import { startLanguageClient } from './client';
import { countWithPyTorchCommand } from './exact-count-command';
import { openRuleDocumentation } from './rule-docs-command';
import { registerRuns } from './runs/register-runs';
import { registerServerStatus } from './server-status';
import { createStatusBar } from './status-bar';
import { REQUESTS } from '../server/protocol';

let client: LanguageClient | undefined;

export function activate(context: vscode.ExtensionContext): void {
  const started = performance.now();
  const output = vscode.window.createOutputChannel('Robustness Lens');
  context.subscriptions.push(output);
  client = startLanguageClient(context, output);
  const languageClient = client;
  context.subscriptions.push(
    createStatusBar(languageClient),
    registerServerStatus(languageClient, output),
    registerRuns(context, languageClient, output),
    vscode.commands.registerCommand('robustnessLens.showParameterBreakdown', (uri?: string, model?: string) =>
      showParameterBreakdown(
        context,
        languageClient,
        typeof uri === 'string' ? uri : undefined,
        typeof model === 'string' ? model : undefined,
      ),
    ),
    vscode.commands.registerCommand('robustnessLens.openRuleDocumentation', (code?: string) =>
      openRuleDocumentation(context, typeof code === 'string' ? code : undefined),
    ),
    vscode.commands.registerCommand('robustnessLens.countWithPyTorch', () =>
      countWithPyTorchCommand(context, languageClient, output),
    ),
    vscode.commands.registerCommand('robustnessLens.lintWorkspace', async () => {
      const result = await languageClient.sendRequest<{ files: number; findings: number }>(REQUESTS.lintWorkspace);
      void vscode.window.showInformationMessage(
        `Robustness Lens: ${result.findings} guideline ` +
          `finding${result.findings === 1 ? '' : 's'} in ${result.files} closed model ` +
          `file${result.files === 1 ? '' : 's'} (open files are checked as you type). See ` +
          `the Problems panel.`,
      );
    }),
  );
  output.appendLine(`Robustness Lens activated in ${(performance.now() - started).toFixed(1)} ms`);
}

export async function deactivate(): Promise<void> {
  await client?.stop();
}
