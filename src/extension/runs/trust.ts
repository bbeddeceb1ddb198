import * as vscode from 'vscode';

export const UNTRUSTED_MESSAGE =
  'Robustness Lens trains and attacks models only in a trusted workspace: a run executes ' +
  'the model file and reads data from the paths this workspace configures.';

/** True when runs may start; otherwise says why, with a way to trust the folder. */
export async function ensureTrusted(): Promise<boolean> {
  if (vscode.workspace.isTrusted) return true;
  const choice = await vscode.window.showWarningMessage(UNTRUSTED_MESSAGE, 'Manage Workspace Trust');
  if (choice) await vscode.commands.executeCommand('workbench.trust.manage');
  return false;
}
