import * as vscode from 'vscode';
import type { RunService } from './run-service';
import { readRunSettings } from './run-settings';
import { RunTerminal } from './run-terminal';
import { parseTaskDefinition, TASK_TYPE } from './task-definition';

function workspaceOf(scope: vscode.TaskScope | vscode.WorkspaceFolder | undefined): string | undefined {
  if (scope && typeof scope === 'object') return scope.uri.fsPath;
  return vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
}

/** The task's execution: the definition is read when the task runs, with its variables resolved. */
function execution(
  runs: RunService,
  scope: vscode.TaskScope | vscode.WorkspaceFolder | undefined,
): vscode.CustomExecution {
  return new vscode.CustomExecution(async (resolved) => {
    const workspace = workspaceOf(scope);
    if (!workspace)
      return new RunTerminal(runs, { error: 'open a folder: runs are written under its .robustness-lens/runs' });
    const settings = readRunSettings(vscode.Uri.file(workspace));
    const parsed = parseTaskDefinition(resolved as Record<string, unknown>, {
      workspace,
      defaultData: settings.data,
      defaultEps: settings.eps,
      backend: settings.backend,
      evalSamples: settings.evalSamples,
      trainEpochs: settings.trainEpochs,
    });
    return new RunTerminal(runs, parsed.ok ? parsed.value : { error: parsed.error });
  });
}

function makeTask(
  runs: RunService,
  definition: vscode.TaskDefinition,
  scope: vscode.WorkspaceFolder | vscode.TaskScope,
  name: string,
): vscode.Task {
  const task = new vscode.Task(definition, scope, name, TASK_TYPE, execution(runs, scope));
  task.presentationOptions = {
    reveal: vscode.TaskRevealKind.Always,
    panel: vscode.TaskPanelKind.Dedicated,
    clear: true,
  };
  return task;
}

/**
 * Tasks of type `robustness-lens` (tasks.json, keybindings); it offers the active model file's
 * evaluation and training under Run Task. Absent in restricted mode: VS Code runs no task there.
 */
export function registerRunTasks(runs: RunService): vscode.Disposable {
  return vscode.tasks.registerTaskProvider(TASK_TYPE, {
    provideTasks: () => {
      const editor = vscode.window.activeTextEditor;
      const folder = editor ? vscode.workspace.getWorkspaceFolder(editor.document.uri) : undefined;
      if (!editor || !folder || !/\.arch\.(ya?ml|json)$|model\.json$/.test(editor.document.fileName)) return [];
      const model = vscode.workspace.asRelativePath(editor.document.uri, false);
      return [
        makeTask(runs, { type: TASK_TYPE, command: 'eval', model }, folder, `eval ${model}`),
        makeTask(runs, { type: TASK_TYPE, command: 'train', model }, folder, `train ${model}`),
      ];
    },
    resolveTask: (task) => {
      if (task.definition.type !== TASK_TYPE) return undefined;
      const scope = task.scope ?? vscode.TaskScope.Workspace;
      return makeTask(runs, task.definition, scope, task.name);
    },
  });
}
