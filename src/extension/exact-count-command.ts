import * as path from 'node:path';
import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import type { ParamsReport } from '../core';
import { countWithPyTorchAsync } from '../engine/pytorch/exact-count';
import { REQUESTS } from '../server/protocol';
import { confirmRunningPython } from './confirm-python';
import { exactCountLines, exactCountPrompt } from './exact-count-text';

/**
 * Counts the active PyTorch file's models under real PyTorch and compares with the static
 * counts. It runs the user's code, so only in a trusted workspace and after the user agrees.
 */
export async function countWithPyTorchCommand(
  context: vscode.ExtensionContext,
  client: LanguageClient,
  output: vscode.OutputChannel,
): Promise<void> {
  const editor = vscode.window.activeTextEditor;
  if (!editor || editor.document.languageId !== 'python') {
    void vscode.window.showWarningMessage('Robustness Lens: open a PyTorch model file to count it with PyTorch.');
    return;
  }
  if (!vscode.workspace.isTrusted) {
    void vscode.window.showWarningMessage(
      'Robustness Lens: counting with PyTorch runs the file, which Restricted Mode does ' +
        'not allow. Trust the workspace first.',
    );
    return;
  }
  const document = editor.document;
  const reports = await client.sendRequest<ParamsReport[]>(REQUESTS.paramsReports, { uri: document.uri.toString() });
  if (reports.length === 0 || reports[0]?.format !== 'pytorch') {
    void vscode.window.showWarningMessage('Robustness Lens: no PyTorch model found in this file.');
    return;
  }
  const python = vscode.workspace.getConfiguration('robustnessLens').get<string>('python.path') || 'python3';
  if (!(await confirmRunningPython(exactCountPrompt(path.basename(document.fileName), python)))) return;
  if (document.isDirty) await document.save();
  const script = vscode.Uri.joinPath(context.extensionUri, 'python', 'inspect_model.py').fsPath;
  const exact = await vscode.window.withProgress(
    {
      location: vscode.ProgressLocation.Notification,
      title: `Robustness Lens: PyTorch is building ${reports.length} model${reports.length === 1 ? '' : 's'}`,
    },
    () =>
      countWithPyTorchAsync(
        document.fileName,
        reports.map((r) => r.name),
        { python, script },
      ),
  );
  const lines = exactCountLines(reports, exact);
  output.appendLine(`Exact counts of ${document.fileName}:`);
  for (const line of lines) output.appendLine(`  ${line}`);
  const differs = exact.failure !== undefined || reports.some((r) => exact.models[r.name]?.total !== r.total);
  const show = 'Show Output';
  const message =
    lines.length === 1
      ? (lines[0] ?? '')
      : `${lines.length} models counted with PyTorch: ` +
        `${differs ? 'some differ from the static counts' : 'all equal to the static counts'}.`;
  const pick = await (differs
    ? vscode.window.showWarningMessage(message, show)
    : vscode.window.showInformationMessage(message, show));
  if (pick === show) output.show(true);
}
