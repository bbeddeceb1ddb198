import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import { FollowedRunsHost } from './followed-runs-host';
import { registerLaunchCommands } from './launch-commands';
import { ResultsPanelHost } from './results-panel';
import { RunService } from './run-service';
import { registerRunTasks } from './task-provider';
import { registerTorchEvaluation } from './torch-eval-command';

/**
 * Everything about runs in the extension host: the queue and its engine worker, the launch
 * commands (the language server's run lenses call them), the task type and the results panel.
 * Nothing here loads the engine: it runs in a child process started on the first run.
 */
export function registerRuns(
  context: vscode.ExtensionContext,
  client: LanguageClient,
  output: vscode.OutputChannel,
): vscode.Disposable {
  const runs = new RunService(context, output);
  // PyTorch runs outside the queue (Slurm jobs, a torchrun of an earlier window), followed through their folders.
  const followed = new FollowedRunsHost(runs, output);
  const results = new ResultsPanelHost(context, runs, output, followed);
  return vscode.Disposable.from(
    runs,
    followed,
    results,
    registerLaunchCommands(client, runs, {
      followed,
      showResults: (runId) => results.show([runId]),
      workspaceState: context.workspaceState,
    }),
    registerTorchEvaluation(client, runs, context.workspaceState),
    registerRunTasks(runs),
    vscode.commands.registerCommand('robustnessLens.showResults', () => results.show()),
  );
}
