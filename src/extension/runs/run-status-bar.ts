import * as vscode from 'vscode';
import type { RunQueue } from './run-queue';
import { describeProgress, fractionDone } from './run-text';

/** The run in progress and how many wait, in the status bar; hidden when nothing runs. */
export function createRunStatusBar(queue: RunQueue): vscode.Disposable {
  const item = vscode.window.createStatusBarItem('robustnessLens.runs', vscode.StatusBarAlignment.Left, 50);
  item.name = 'Robustness Lens: runs';
  item.command = 'robustnessLens.showResults';
  const update = (): void => {
    const active = queue.active();
    const running = active.find((e) => e.state === 'running');
    const waiting = active.filter((e) => e.state === 'queued').length;
    if (!running && waiting === 0) {
      item.hide();
      return;
    }
    const fraction = running ? fractionDone(running) : undefined;
    const share = fraction === undefined ? '' : ` ${Math.floor(100 * fraction)}%`;
    const queued = waiting > 0 ? ` · ${waiting} queued` : '';
    item.text = running ? `$(loading~spin) ${running.request.label}${share}${queued}` : `$(clock) ${waiting} queued`;
    item.tooltip = [
      ...active.map((e) => `${e.request.label}: ${describeProgress(e)}`),
      'Click for the results panel.',
    ].join('\n');
    item.show();
  };
  const subscription = queue.onEvent(update);
  return vscode.Disposable.from(item, { dispose: () => subscription.dispose() });
}
