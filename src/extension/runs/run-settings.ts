import * as vscode from 'vscode';
import { BACKEND_SETTINGS, type BackendSetting } from './run-request';

/** The `robustnessLens.*` settings a run reads; invalid values fall back to the defaults. */
export interface RunSettings {
  readonly backend: BackendSetting;
  /** `mnist` or a data folder (relative paths are against the workspace folder). */
  readonly data: string;
  /** Empty: the data's usual radius (0.3 on MNIST, else 8/255). */
  readonly eps: string;
  readonly evalSamples: number;
  readonly trainEpochs: number;
}

export function readRunSettings(scope?: vscode.Uri): RunSettings {
  const config = vscode.workspace.getConfiguration('robustnessLens', scope);
  const backend = config.get<string>('engine.backend', 'auto');
  const data = config.get<string>('run.data', 'mnist').trim();
  const samples = config.get<number>('evaluate.samples', 1000);
  const epochs = config.get<number>('train.epochs', 10);
  return {
    backend: backendSetting(backend),
    data: data === '' ? 'mnist' : data,
    eps: (config.get<string | null>('run.eps', '') ?? '').trim(),
    evalSamples: Number.isInteger(samples) && samples > 0 ? samples : 1000,
    trainEpochs: Number.isInteger(epochs) && epochs > 0 ? epochs : 10,
  };
}

/** The setting's value as a run request takes it; anything unknown is `auto`. */
export function backendSetting(value: string): BackendSetting {
  return (BACKEND_SETTINGS as readonly string[]).includes(value) ? (value as BackendSetting) : 'auto';
}
