import type { CodeLens } from 'vscode-languageserver/node';
import type { ModelSummary } from '../core';
import { engineBuildProblem } from './engine-support';

/** Command ids of the run lenses; the VS Code client registers them (and hides them in restricted mode). */
export const RUN_COMMANDS = {
  evaluate: 'robustnessLens.evaluateRobustness',
  train: 'robustnessLens.trainAdversarially',
  /** A PyTorch model the engine cannot build, evaluated on the user's own PyTorch (it runs their code). */
  evaluateTorch: 'robustnessLens.evaluateWithPyTorch',
} as const;

/** Whether the engine can build this model (see engineBuildProblem for what it needs). */
export function engineCanBuild(summary: ModelSummary): boolean {
  return engineBuildProblem(summary) === undefined;
}

/**
 * "Evaluate robustness" and "Train adversarially" above each model the engine can build; above a
 * PyTorch model it cannot, "Evaluate robustness (runs your PyTorch)" instead of nothing.
 */
export function runLenses(uri: string, summary: ModelSummary): CodeLens[] {
  const line = summary.network.source?.start.line ?? 0;
  const range = { start: { line, character: 0 }, end: { line, character: 0 } };
  const args = [uri, summary.network.name];
  if (!engineCanBuild(summary)) {
    if (summary.network.format !== 'pytorch') return [];
    const title = '$(shield) Evaluate robustness (runs your PyTorch)';
    return [{ range, command: { title, command: RUN_COMMANDS.evaluateTorch, arguments: args } }];
  }
  return [
    { range, command: { title: '$(shield) Evaluate robustness', command: RUN_COMMANDS.evaluate, arguments: args } },
    { range, command: { title: '$(beaker) Train adversarially', command: RUN_COMMANDS.train, arguments: args } },
  ];
}
