import * as vscode from 'vscode';

/**
 * The file a run command acts on: the code lens passes its document's URI (as a string or a Uri);
 * from the command palette there is none, so it is the active editor's document.
 */
export function commandUri(uriArg: unknown): vscode.Uri | undefined {
  if (typeof uriArg === 'string') return vscode.Uri.parse(uriArg);
  if (uriArg instanceof vscode.Uri) return uriArg;
  return vscode.window.activeTextEditor?.document.uri;
}
