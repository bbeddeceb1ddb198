import * as vscode from 'vscode';
import { State, type LanguageClient } from 'vscode-languageclient/node';
import { MODEL_DOCUMENTS } from './client';
import {
  describeServerState,
  RESTART_SERVER_COMMAND,
  SHOW_OUTPUT_COMMAND,
  type ServerState,
} from './server-state-text';

function stateOf(state: State): ServerState {
  return state === State.Running ? 'running' : state === State.Starting ? 'starting' : 'stopped';
}

/**
 * The language server's state in the status bar, as ESLint's and Ruff's: shown beside model
 * files, and always once the server has stopped; a click shows the output. Registers the
 * "Show Output" and "Restart Server" commands.
 */
export function registerServerStatus(client: LanguageClient, output: vscode.OutputChannel): vscode.Disposable {
  const item = vscode.window.createStatusBarItem('robustnessLens.server', vscode.StatusBarAlignment.Right, 101);
  item.name = 'Robustness Lens: language server';
  item.command = SHOW_OUTPUT_COMMAND;
  let state: ServerState = stateOf(client.state);
  let restarting = false;
  const render = (): void => {
    const look = describeServerState(state, restarting && state !== 'running' ? 'restarting on request' : undefined);
    item.text = look.text;
    const tooltip = new vscode.MarkdownString(look.tooltip);
    tooltip.isTrusted = { enabledCommands: [SHOW_OUTPUT_COMMAND, RESTART_SERVER_COMMAND] };
    item.tooltip = tooltip;
    item.backgroundColor = look.alarming ? new vscode.ThemeColor('statusBarItem.errorBackground') : undefined;
    const document = vscode.window.activeTextEditor?.document;
    const beside = document !== undefined && vscode.languages.match(MODEL_DOCUMENTS, document) > 0;
    if (beside || look.alarming) item.show();
    else item.hide();
  };
  const restart = async (): Promise<void> => {
    if (restarting) return;
    restarting = true;
    render();
    output.appendLine('restarting the language server (Robustness Lens: Restart Server)');
    try {
      // stop() refuses a client that is still starting; a stopped one needs start() only.
      if (client.state === State.Running) await client.stop();
      await client.start();
      output.appendLine('the language server is running again');
    } catch (error) {
      output.appendLine(
        `the language server did not restart: ${error instanceof Error ? error.message : String(error)}`,
      );
      void vscode.window
        .showErrorMessage('Robustness Lens: the language server did not restart.', 'Show Output')
        .then((choice) => choice && output.show(true));
    } finally {
      restarting = false;
      render();
    }
  };
  render();
  return vscode.Disposable.from(
    item,
    client.onDidChangeState((event) => {
      state = stateOf(event.newState);
      render();
    }),
    vscode.window.onDidChangeActiveTextEditor(render),
    vscode.commands.registerCommand(SHOW_OUTPUT_COMMAND, () => output.show(true)),
    vscode.commands.registerCommand(RESTART_SERVER_COMMAND, restart),
  );
}
