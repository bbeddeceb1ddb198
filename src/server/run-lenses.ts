import type { CodeLens } from 'vscode-languageserver/node';
import type { ModelSummary } from '../core';

/** Command ids of the run lenses; the VS Code client registers them (and hides them in restricted mode). */
export const RUN_COMMANDS = {
  evaluate: 'robustnessLens.evaluateRobustness',
  train: 'robustnessLens.trainAdversarially',
} as const;

/**
 * Whether the engine can build this model: it builds from the IR, so every layer must be known
 * (a partial count means some layer the engine has no kernel for); a TF.js model.json is loaded
 * as it is, with its weights.
 */
export function engineCanBuild(summary: ModelSummary): boolean {
  return summary.network.format === 'tfjs' || summary.total.known;
}

/** "Evaluate robustness" and "Train adversarially" above each model the engine can build. */
export function runLenses(uri: string, summary: ModelSummary): CodeLens[] {
  if (!engineCanBuild(summary)) return [];
  const line = summary.network.source?.start.line ?? 0;
  const range = { start: { line, character: 0 }, end: { line, character: 0 } };
  const args = [uri, summary.network.name];
  return [
    { range, command: { title: '$(shield) Evaluate robustness', command: RUN_COMMANDS.evaluate, arguments: args } },
    { range, command: { title: '$(beaker) Train adversarially', command: RUN_COMMANDS.train, arguments: args } },
  ];
}
