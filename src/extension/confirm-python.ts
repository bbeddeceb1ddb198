import * as vscode from 'vscode';

/** The button of the confirmation before the user's Python runs. */
export const RUN_WITH_PYTORCH = 'Run with PyTorch';

/**
 * Asks before the user's PyTorch code runs (a modal, every time: nothing is remembered, so each
 * run of someone's code is one they agreed to). The exact count and the evaluation on PyTorch ask this way.
 */
export async function confirmRunningPython(prompt: string): Promise<boolean> {
  return (await vscode.window.showWarningMessage(prompt, { modal: true }, RUN_WITH_PYTORCH)) === RUN_WITH_PYTORCH;
}
