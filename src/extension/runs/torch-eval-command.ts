import * as path from 'node:path';
import { commandUri } from './command-uri';
import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import type { ParamsReport } from '../../core/params/summary-report';
import { TORCH_WEIGHTS_EXTENSIONS } from '../../engine/run/torch-eval-source';
import type { InputNormalization } from '../../engine/tfjs/normalize-input';
import { REQUESTS } from '../../server/protocol';
import { RUN_COMMANDS } from '../../server/run-lenses';
import { confirmRunningPython } from '../confirm-python';
import { pickAttacks, pickData, pickEps } from './run-picks';
import type { RunService } from './run-service';
import { readRunSettings } from './run-settings';
import { readTorchSettings } from './torch-commands';
import {
  checkEntry,
  entryFor,
  NORMALIZATION_NAMES,
  parseNormalization,
  torchEvalPrompt,
  torchEvalRequest,
  type TorchWeights,
} from './torch-eval-request';
import { ensureTrusted } from './trust';

type Item<T> = vscode.QuickPickItem & { readonly value: T };
const DATA_SET_NAMES: Readonly<Record<string, string>> = { mnist: 'MNIST', cifar10: 'CIFAR-10', imagenet: 'ImageNet' };
const STEPS = 6;
const step = (n: number, what: string): string => `Evaluate on your PyTorch (${n}/${STEPS}): ${what}`;

async function pickOne<T>(title: string, items: readonly Item<T>[]): Promise<T | undefined> {
  const chosen = await vscode.window.showQuickPick(items, {
    title,
    ignoreFocusOut: true,
    placeHolder: 'Enter keeps the first',
  });
  return chosen?.value;
}

/** The lens's model, or the active file's PyTorch model (picked when it has several). */
async function modelOf(client: LanguageClient, uri: vscode.Uri, modelArg: unknown): Promise<string | undefined> {
  if (typeof modelArg === 'string') return modelArg;
  const reports = await client.sendRequest<ParamsReport[]>(REQUESTS.paramsReports, { uri: uri.toString() });
  const names = reports.filter((r) => r.format === 'pytorch').map((r) => r.name);
  if (names.length <= 1) return names[0] ?? '';
  return vscode.window.showQuickPick(names, { title: 'Which model?', ignoreFocusOut: true });
}

async function pickWeights(workspace: string, entry: string): Promise<TorchWeights | undefined> {
  const choice = await pickOne<TorchWeights['kind']>(step(2, 'weights'), [
    {
      label: '$(file-binary) A weights file...',
      description: 'a torch.save state dict (.pt, .pth, .ckpt) or .safetensors, loaded by your PyTorch',
      value: 'file',
    },
    { label: '$(package) The weights the entry loads', description: `what ${entry} returns, as it is`, value: 'entry' },
    {
      label: '$(debug-restart) Untrained weights',
      description: 'the initial weights the entry returns; the result says UNTRAINED',
      value: 'untrained',
    },
  ]);
  if (choice !== 'file') return choice === undefined ? undefined : { kind: choice };
  const files = await vscode.window.showOpenDialog({
    canSelectMany: false,
    defaultUri: vscode.Uri.file(workspace),
    filters: { 'PyTorch weights': [...TORCH_WEIGHTS_EXTENSIONS] },
    openLabel: 'Evaluate these weights',
  });
  const file = files?.[0]?.fsPath;
  return file ? { kind: 'file', file } : undefined;
}

/** None, a data set's statistics, or typed; null when the model takes [0,1] pixels as they are. */
async function pickNormalization(): Promise<InputNormalization | null | undefined> {
  const chosen = await pickOne<string>(step(5, 'input normalisation'), [
    { label: 'None', description: 'the model takes [0,1] pixels (or normalises inside itself)', value: 'none' },
    ...NORMALIZATION_NAMES.map((name) => {
      const n = parseNormalization(name);
      const stats = n.ok ? `mean ${n.value.mean.join(', ')} / std ${n.value.std.join(', ')}` : '';
      return { label: `${DATA_SET_NAMES[name] ?? name} statistics`, description: stats, value: name };
    }),
    { label: 'Custom...', description: 'MEANS/STDS, one per channel', value: 'custom' },
  ]);
  if (chosen === undefined) return undefined;
  if (chosen === 'none') return null;
  const text =
    chosen === 'custom'
      ? await vscode.window.showInputBox({
          title: step(5, 'input normalisation'),
          prompt: 'Per-channel means and standard deviations the model expects, e.g. 0.5,0.5,0.5/0.25,0.25,0.25',
          ignoreFocusOut: true,
          validateInput: (v) => {
            const parsed = parseNormalization(v);
            return parsed.ok ? undefined : parsed.error;
          },
        })
      : chosen;
  if (text === undefined) return undefined;
  const parsed = parseNormalization(text);
  return parsed.ok ? parsed.value : undefined;
}

/**
 * "Evaluate robustness (runs your PyTorch)": a PyTorch model the engine cannot build, evaluated on
 * the person's own PyTorch (robustnessLens.python.path) through the torch back end, queued and
 * shown like any evaluation. Trusted workspaces only, and it asks before running their code.
 */
async function evaluateOnPyTorch(
  client: LanguageClient,
  runs: RunService,
  state: vscode.Memento,
  uriArg: unknown,
  modelArg: unknown,
): Promise<void> {
  if (!(await ensureTrusted())) return;
  const uri = commandUri(uriArg);
  if (!uri || uri.scheme !== 'file' || !uri.fsPath.endsWith('.py')) {
    void vscode.window.showWarningMessage('Robustness Lens: open a PyTorch model file (saved on disk) first.');
    return;
  }
  const document = await vscode.workspace.openTextDocument(uri);
  // The worker imports the file from disk: run what the person sees.
  if (document.isDirty) await document.save();
  const workspace = vscode.workspace.getWorkspaceFolder(uri)?.uri.fsPath ?? path.dirname(uri.fsPath);
  const model = await modelOf(client, uri, modelArg);
  if (model === undefined) return;
  const entry = await vscode.window.showInputBox({
    title: step(1, 'entry'),
    value: entryFor(uri.fsPath, workspace, model),
    prompt: 'The model as FILE.py:factory(args), relative to the workspace folder; the arguments are Python literals',
    ignoreFocusOut: true,
    validateInput: checkEntry,
  });
  if (entry === undefined || checkEntry(entry)) return;
  const weights = await pickWeights(workspace, entry.trim());
  if (!weights) return;
  const settings = readRunSettings(uri);
  const data = await pickData(step(3, 'data set'), settings, workspace);
  if (!data) return;
  const eps = await pickEps(step(4, 'epsilon'), settings, data);
  if (eps === undefined) return;
  const normalize = await pickNormalization();
  if (normalize === undefined) return;
  const attacks = await pickAttacks(step(6, 'attacks'), state);
  if (!attacks) return;
  const torch = readTorchSettings(uri);
  if (!(await confirmRunningPython(torchEvalPrompt(entry.trim(), torch.python, torch.device)))) return;
  runs.start(
    torchEvalRequest({
      modelFile: uri.fsPath,
      modelName: model || entry.trim(),
      workspace,
      data,
      eps,
      ...attacks,
      samples: settings.evalSamples,
      python: torch.python,
      entry: entry.trim(),
      weights,
      device: torch.device,
      ...(normalize ? { normalize } : {}),
    }),
  );
}

export function registerTorchEvaluation(
  client: LanguageClient,
  runs: RunService,
  state: vscode.Memento,
): vscode.Disposable {
  return vscode.commands.registerCommand(RUN_COMMANDS.evaluateTorch, (uri?: unknown, model?: unknown) =>
    evaluateOnPyTorch(client, runs, state, uri, model),
  );
}
