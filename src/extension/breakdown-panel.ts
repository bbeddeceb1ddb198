import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import type { ParamsReport } from '../core/params/summary-report';
import { REQUESTS } from '../server/protocol';
import { parseFromPanel, type ToPanel } from '../../webview/src/messages';

function nonce(): string {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return Buffer.from(bytes)
    .toString('base64')
    .replace(/[^A-Za-z0-9]/g, '');
}

function html(webview: vscode.Webview, extensionUri: vscode.Uri): string {
  const script = webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'dist', 'webview.js'));
  const style = webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'media', 'panel.css'));
  const n = nonce();
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy"
  content="default-src 'none'; style-src ${webview.cspSource}; script-src 'nonce-${n}';">
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

/** How long after a settings change or an edit the panel asks the server again (it re-analyses first). */
const REFRESH_DELAY_MS = 600;

/**
 * `Robustness Lens: Show Parameter Breakdown`: the language server counts, the panel shows
 * per-part totals against the budget in force (the same the lens shows: `robustnessLens.budget`,
 * else the file's or the config file's) and every layer (click a line number to go there). A file
 * with several models gets a picker; the panel follows edits and budget changes.
 */
export async function showParameterBreakdown(
  context: vscode.ExtensionContext,
  client: LanguageClient,
  uriArg?: string,
  modelName?: string,
): Promise<void> {
  const document = uriArg
    ? await vscode.workspace.openTextDocument(vscode.Uri.parse(uriArg))
    : vscode.window.activeTextEditor?.document;
  if (!document) {
    void vscode.window.showInformationMessage(
      'Robustness Lens: open a model file (*.arch.yaml, a RobArch config, PyTorch or ' +
        'Keras code, a TF.js model.json) first.',
    );
    return;
  }
  const ask = (): Promise<ParamsReport[]> =>
    client.sendRequest<ParamsReport[]>(REQUESTS.paramsReports, { uri: document.uri.toString() });
  let reports = await ask();
  let selected = (reports.find((r) => r.name === modelName) ?? reports[0])?.name;
  if (selected === undefined) {
    void vscode.window.showWarningMessage(
      'Robustness Lens: no model in this file could be read; see the Problems panel.',
    );
    return;
  }
  const panel = vscode.window.createWebviewPanel(
    'robustnessLens.breakdown',
    `Parameters: ${selected}`,
    vscode.ViewColumn.Beside,
    {
      enableScripts: true,
      localResourceRoots: [
        vscode.Uri.joinPath(context.extensionUri, 'dist'),
        vscode.Uri.joinPath(context.extensionUri, 'media'),
      ],
    },
  );
  panel.webview.html = html(panel.webview, context.extensionUri);
  const post = (): void => {
    if (selected === undefined || reports.length === 0) return;
    const message: ToPanel = { type: 'show', reports, selected };
    void panel.webview.postMessage(message);
  };
  let timer: NodeJS.Timeout | undefined;
  let disposed = false;
  const refreshSoon = (delay = REFRESH_DELAY_MS): void => {
    clearTimeout(timer);
    if (disposed) return;
    timer = setTimeout(() => {
      void ask().then(
        (fresh) => {
          if (disposed || fresh.length === 0) return;
          reports = fresh;
          if (!fresh.some((r) => r.name === selected)) selected = fresh[0]?.name;
          panel.title = `Parameters: ${selected ?? ''}`;
          post();
        },
        () => undefined,
      );
    }, delay);
  };
  const watchers = [
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (!e.affectsConfiguration('robustnessLens', document.uri)) return;
      // The server re-reads its settings and re-analyses first; ask once soon and once after that.
      refreshSoon();
      setTimeout(() => refreshSoon(0), 4 * REFRESH_DELAY_MS);
    }),
    vscode.workspace.onDidChangeTextDocument((e) => {
      if (e.document.uri.toString() === document.uri.toString()) refreshSoon();
    }),
  ];
  panel.onDidDispose(
    () => {
      disposed = true;
      clearTimeout(timer);
      for (const w of watchers) w.dispose();
    },
    undefined,
    context.subscriptions,
  );
  panel.webview.onDidReceiveMessage(
    async (raw: unknown) => {
      const received = parseFromPanel(raw);
      if (!received) return;
      if (received.type === 'ready') {
        post();
      } else if (received.type === 'selected') {
        if (reports.some((r) => r.name === received.name)) {
          selected = received.name;
          panel.title = `Parameters: ${selected}`;
        }
      } else {
        const shown = await vscode.window.showTextDocument(document, vscode.ViewColumn.One);
        const position = new vscode.Position(Math.min(received.line - 1, document.lineCount - 1), 0);
        shown.selection = new vscode.Selection(position, position);
        shown.revealRange(new vscode.Range(position, position), vscode.TextEditorRevealType.InCenter);
      }
    },
    undefined,
    context.subscriptions,
  );
}
