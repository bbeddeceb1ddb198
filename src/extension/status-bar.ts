import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import { REQUESTS, type ModelSummaryInfo } from '../server/protocol';

function compact(n: number): string {
  const scaled = (value: number, digits: number, suffix: string): string => `${value.toFixed(digits).replace(/\.0+$/, '')}${suffix}`;
  if (n >= 1e9) return scaled(n / 1e9, 2, 'G');
  if (n >= 1e6) return scaled(n / 1e6, 2, 'M');
  if (n >= 1e3) return scaled(n / 1e3, 1, 'K');
  return String(n);
}

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
    const info = await client.sendRequest<ModelSummaryInfo | null>(REQUESTS.summary, { uri: editor.document.uri.toString() }).catch(() => null);
    if (mine !== generation) return;
    if (!info) {
      item.hide();
      return;
    }
    const total = info.total ?? info.knownParams;
    const prefix = info.total === null ? '≥' : '';
    if (info.budget !== null) {
      const over = total / info.budget - 1;
      item.text = `$(symbol-numeric) ${prefix}${compact(total)} / ${compact(info.budget)} (${over >= 0 ? '+' : ''}${(100 * over).toFixed(1)}%)`;
      item.backgroundColor = over > 0 ? new vscode.ThemeColor('statusBarItem.warningBackground') : undefined;
    } else {
      item.text = `$(symbol-numeric) ${prefix}${compact(total)} params`;
      item.backgroundColor = undefined;
    }
    item.tooltip = `${info.name}: ${total.toLocaleString('en-US')} parameters${info.models > 1 ? ` (first of ${info.models} models)` : ''}. Click for the breakdown.`;
    item.show();
  };
  const schedule = (): void => void update();
  return vscode.Disposable.from(
    item,
    vscode.window.onDidChangeActiveTextEditor(schedule),
    vscode.languages.onDidChangeDiagnostics(schedule),
  );
}
