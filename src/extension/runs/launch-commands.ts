import * as path from 'node:path';
import { commandUri } from './command-uri';
import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import type { ParamsReport } from '../../core/params/summary-report';
import { REQUESTS } from '../../server/protocol';
import { RUN_COMMANDS } from '../../server/run-lenses';
import { pickEvaluation, pickTraining } from './run-picks';
import { trainThenEvaluate } from './train-then-evaluate';
import { evalRequest, trainRequest, type RunRequest } from './run-request';
import type { RunService } from './run-service';
import { readRunSettings } from './run-settings';
import { trainedWeightsFor } from './trained-weights';
import { ensureTrusted } from './trust';
import type { FollowedRunsHost } from './followed-runs-host';
import { pickPlacement, readTorchSettings, trainOnPyTorch } from './torch-commands';

/** What training on the user's PyTorch needs besides the queue: the followed runs and the panel. */
export interface PyTorchRuns {
  readonly followed: FollowedRunsHost;
  readonly showResults: (runId: string) => void;
  /** Where the AutoAttack version picked last is remembered (the workspace's state). */
  readonly workspaceState?: vscode.Memento;
}

interface Target {
  readonly file: string;
  readonly modelName?: string;
  readonly workspace: string;
}

/** The model a command runs: the lens's (file and model name) or the active editor's. */
async function resolveTarget(client: LanguageClient, uriArg: unknown, modelArg: unknown): Promise<Target | undefined> {
  const uri = commandUri(uriArg);
  if (!uri) {
    void vscode.window.showInformationMessage(
      'Robustness Lens: open a model file first (an *.arch.yaml spec, a RobArch config, ' +
        'PyTorch or Keras code, a TF.js model.json).',
    );
    return undefined;
  }
  if (uri.scheme !== 'file') {
    void vscode.window.showWarningMessage('Robustness Lens: the engine runs model files on disk; save this one first.');
    return undefined;
  }
  const document = await vscode.workspace.openTextDocument(uri);
  // The engine reads the file from disk: run what the person sees, not an older saved version.
  if (document.isDirty) await document.save();
  const reports = await client.sendRequest<ParamsReport[]>(REQUESTS.paramsReports, { uri: uri.toString() });
  const runnable = reports.filter((r) => r.total !== null || r.format === 'tfjs');
  let modelName = typeof modelArg === 'string' ? modelArg : undefined;
  if (reports.length === 0) {
    void vscode.window.showWarningMessage(
      `Robustness Lens: no model in ${path.basename(uri.fsPath)} could be read; see the Problems panel.`,
    );
    return undefined;
  }
  if (runnable.length === 0) {
    void vscode.window.showWarningMessage(
      `Robustness Lens: the engine cannot build ${reports[0]?.name ?? 'this model'}: some ` +
        `of its layers are unknown (${reports[0]?.unknown[0] ?? 'see the Problems panel'}).` +
        (reports[0]?.format === 'pytorch'
          ? ' "Evaluate Robustness on Your PyTorch" runs it on your own PyTorch instead.'
          : ''),
    );
    return undefined;
  }
  if (!modelName && runnable.length > 1) {
    modelName = await vscode.window.showQuickPick(
      runnable.map((r) => r.name),
      { title: 'Which model?', ignoreFocusOut: true },
    );
    if (!modelName) return undefined;
  }
  const folder = vscode.workspace.getWorkspaceFolder(uri);
  const chosen = runnable.find((r) => r.name === modelName) ?? runnable[0];
  return {
    file: uri.fsPath,
    // A TF.js model.json holds one model, loaded with its weights; the engine ignores names there.
    ...(chosen && chosen.format !== 'tfjs' ? { modelName: chosen.name } : {}),
    workspace: folder?.uri.fsPath ?? path.dirname(uri.fsPath),
  };
}

/** `Evaluate robustness` and `Train adversarially`: the code lenses' commands, also in the palette. */
export function registerLaunchCommands(
  client: LanguageClient,
  runs: RunService,
  pytorch?: PyTorchRuns,
): vscode.Disposable {
  return vscode.Disposable.from(
    vscode.commands.registerCommand(RUN_COMMANDS.evaluate, async (uri?: unknown, model?: unknown) => {
      if (!(await ensureTrusted())) return;
      const target = await resolveTarget(client, uri, model);
      if (!target) return;
      const settings = readRunSettings(vscode.Uri.file(target.file));
      const trained = trainedWeightsFor(target.workspace, target.file, target.modelName);
      const picked = await pickEvaluation(settings, target.workspace, trained, pytorch?.workspaceState);
      if (!picked) return;
      const name = target.modelName ? { modelName: target.modelName } : {};
      const named = { modelFile: target.file, workspace: target.workspace, ...name };
      const threat = { data: picked.data, eps: picked.eps, backend: settings.backend };
      const evaluation = (weights: string | undefined): RunRequest =>
        evalRequest({
          ...named,
          ...threat,
          attacks: picked.attacks,
          ...(picked.version ? { version: picked.version } : {}),
          samples: settings.evalSamples,
          ...(weights ? { weights } : {}),
        });
      if (picked.trainFirst) {
        const training = trainRequest({ ...named, ...threat, config: { epochs: picked.trainFirst.epochs } });
        trainThenEvaluate(runs, training, evaluation);
        return;
      }
      runs.start(evaluation(picked.weights));
    }),
    vscode.commands.registerCommand(RUN_COMMANDS.train, async (uri?: unknown, model?: unknown) => {
      if (!(await ensureTrusted())) return;
      const target = await resolveTarget(client, uri, model);
      if (!target) return;
      const settings = readRunSettings(vscode.Uri.file(target.file));
      const picked = await pickTraining(settings, target.workspace);
      if (!picked) return;
      const placement = pytorch ? await pickPlacement(readTorchSettings(vscode.Uri.file(target.file))) : 'engine';
      if (!placement) return;
      const choices = {
        modelFile: target.file,
        workspace: target.workspace,
        ...(target.modelName ? { modelName: target.modelName } : {}),
        data: picked.data,
        eps: picked.eps,
        backend: settings.backend,
        config: { epochs: settings.trainEpochs },
      };
      if (pytorch && placement !== 'engine')
        await trainOnPyTorch(runs, pytorch.followed, placement, choices, pytorch.showResults);
      else runs.start(trainRequest(choices));
    }),
  );
}
