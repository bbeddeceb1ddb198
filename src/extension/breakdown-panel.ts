import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import type { ParamsReport } from '../core/params/summary-report';
import { REQUESTS } from '../server/protocol';
import { parseFromPanel, type ToPanel } from '../../webview/src/messages';

function nonce(): string {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return Buffer.from(bytes).toString('base64').replace(/[^A-Za-z0-9]/g, '');
}

function html(webview: vscode.Webview, extensionUri: vscode.Uri): string {
  const script = webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'dist', 'webview.js'));
  const style = webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'media', 'panel.css'));
  const n = nonce();
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src ${webview.cspSource}; script-src 'nonce-${n}';">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${style.toString()}">
<title>Parameter breakdown</title>
</head>
<body>
<main id="root"><p>Reading the model...</p></main>
<script nonce="${n}" src="${script.toString()}"></script>
</body>
</html>`;
}

/**
 * `Robustness Lens: Show Parameter Breakdown`: the language server counts, the panel shows
 * per-part totals against the budget and every layer (click a line number to go there).
 */
export async function showParameterBreakdown(context: vscode.ExtensionContext, client: LanguageClient, uriArg?: string, modelName?: string): Promise<void> {
  const document = uriArg
    ? await vscode.workspace.openTextDocument(vscode.Uri.parse(uriArg))
    : vscode.window.activeTextEditor?.document;
  if (!document) {
    void vscode.window.showInformationMessage('Robustness Lens: open a model file (*.arch.yaml, a RobArch config, PyTorch or Keras code, a TF.js model.json) first.');
    return;
  }
  const reports = await client.sendRequest<ParamsReport[]>(REQUESTS.paramsReports, { uri: document.uri.toString() });
  const report = reports.find((r) => r.name === modelName) ?? reports[0];
  if (!report) {
    void vscode.window.showWarningMessage('Robustness Lens: no model in this file could be read; see the Problems panel.');
    return;
  }
  const message: ToPanel = { type: 'show', report };
  const panel = vscode.window.createWebviewPanel('robustnessLens.breakdown', `Parameters: ${report.name}`, vscode.ViewColumn.Beside, {
    enableScripts: true,
    localResourceRoots: [vscode.Uri.joinPath(context.extensionUri, 'dist'), vscode.Uri.joinPath(context.extensionUri, 'media')],
  });
  panel.webview.html = html(panel.webview, context.extensionUri);
  panel.webview.onDidReceiveMessage(async (raw: unknown) => {
    const received = parseFromPanel(raw);
    if (!received) return;
    if (received.type === 'ready') {
      void panel.webview.postMessage(message);
    } else {
      const shown = await vscode.window.showTextDocument(document, vscode.ViewColumn.One);
      const position = new vscode.Position(Math.min(received.line - 1, document.lineCount - 1), 0);
      shown.selection = new vscode.Selection(position, position);
      shown.revealRange(new vscode.Range(position, position), vscode.TextEditorRevealType.InCenter);
    }
  }, undefined, context.subscriptions);
}
