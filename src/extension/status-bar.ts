import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import { formatCompact } from '../core/util/parse-count';
import { REQUESTS, type ModelSummaryInfo } from '../server/protocol';

/** The active model file's total against its budget, in the status bar. */
export function createStatusBar(client: LanguageClient): vscode.Disposable {
  const item = vscode.window.createStatusBarItem('robustnessLens.budget', vscode.StatusBarAlignment.Right, 100);
  item.name = 'Robustness Lens: parameter budget';
  item.command = 'robustnessLens.showParameterBreakdown';
  let generation = 0;
  const update = async (): Promise<void> => {
    const mine = ++generation;
    const editor = vscode.window.activeTextEditor;
    if (!editor) {
      item.hide();
      return;
    }
    const info = await client
      .sendRequest<ModelSummaryInfo | null>(REQUESTS.summary, { uri: editor.document.uri.toString() })
      .catch(() => null);
    if (mine !== generation) return;
    if (!info) {
      item.hide();
      return;
    }
    const total = info.total ?? info.knownParams;
    const prefix = info.total === null ? '≥' : '';
    if (info.budget !== null) {
      const over = total / info.budget - 1;
      item.text =
        `$(symbol-numeric) ${prefix}${formatCompact(total)} / ${formatCompact(info.budget)} ` +
        `(${over >= 0 ? '+' : ''}${(100 * over).toFixed(1)}%)`;
      item.backgroundColor = over > 0 ? new vscode.ThemeColor('statusBarItem.warningBackground') : undefined;
    } else {
      item.text = `$(symbol-numeric) ${prefix}${formatCompact(total)} params`;
      item.backgroundColor = undefined;
    }
    item.tooltip =
      `${info.name}: ${total.toLocaleString('en-US')} ` +
      `parameters${info.models > 1 ? ` (first of ${info.models} models)` : ''}. Click for ` +
      `the breakdown.`;
    item.show();
  };
  const schedule = (): void => void update();
  return vscode.Disposable.from(
    item,
    vscode.window.onDidChangeActiveTextEditor(schedule),
    vscode.languages.onDidChangeDiagnostics(schedule),
  );
}
