import * as vscode from 'vscode';
import { paramsReport, readModelFile, summarize } from '../core';
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

/** `Robustness Lens: Show Parameter Breakdown` for the active model file. */
export async function showParameterBreakdown(context: vscode.ExtensionContext): Promise<void> {
  const editor = vscode.window.activeTextEditor;
  if (!editor) {
    void vscode.window.showInformationMessage('Robustness Lens: open a model file (*.arch.yaml, *.arch.json or a RobArch config) first.');
    return;
  }
  const document = editor.document;
  const inputSize = vscode.workspace.getConfiguration('robustnessLens').get<number>('inputSize', 224);
  const read = readModelFile(document.uri.fsPath, document.getText());
  if (!read.network) {
    const first = read.diagnostics.find((d) => d.severity === 'error');
    void vscode.window.showErrorMessage(`Robustness Lens: ${first ? `line ${first.range.start.line + 1}: ${first.message}` : 'this file is not a model Robustness Lens reads'}`);
    return;
  }
  const message: ToPanel = { type: 'show', report: paramsReport(summarize(read.network, inputSize), read.diagnostics) };
  const panel = vscode.window.createWebviewPanel('robustnessLens.breakdown', `Parameters: ${read.network.name}`, vscode.ViewColumn.Beside, {
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
