import * as vscode from 'vscode';
import { EngineClient, forkWorker, type SubmittedRun } from './engine-client';
import type { RunMessage } from '../../engine/run/run-messages';
import { RunQueue, type RunEntry } from './run-queue';
import type { RunRequest } from './run-request';
import { createRunStatusBar } from './run-status-bar';
import { showRunNotification } from './run-notification';
import { describeOutcome } from './run-text';

/**
 * Owns the engine worker and the run queue for the extension's lifetime: runs keep going when
 * their panel, terminal or notification closes, and end with the editor.
 */
export class RunService implements vscode.Disposable {
  readonly queue: RunQueue;
  private readonly engine: EngineClient;
  private readonly disposables: vscode.Disposable[] = [];
  private readonly finishedListeners = new Set<(entry: RunEntry) => void>();

  constructor(
    context: vscode.ExtensionContext,
    private readonly output: vscode.OutputChannel,
  ) {
    this.engine = new EngineClient(
      forkWorker(context.asAbsolutePath('dist/engine-worker.js'), (line) => output.appendLine(line)),
    );
    this.queue = new RunQueue(this.engine.execute);
    this.disposables.push(createRunStatusBar(this.queue));
    const logged = this.queue.onEvent((entry, message) => this.log(entry, message));
    this.disposables.push({ dispose: () => logged.dispose() });
  }

  /** Queues a run; `notify` shows its progress notification (a task shows its terminal instead). */
  start(request: RunRequest, notify = true): RunEntry {
    const entry = this.queue.enqueue(request);
    if (notify) void showRunNotification(this.queue, entry);
    return entry;
  }

  /** A PyTorch run for Slurm: the worker prepares its folder and submits it, outside the queue. */
  submit(request: RunRequest): Promise<SubmittedRun> {
    return this.engine.submit(request);
  }

  onFinished(listener: (entry: RunEntry) => void): vscode.Disposable {
    this.finishedListeners.add(listener);
    return { dispose: () => this.finishedListeners.delete(listener) };
  }

  dispose(): void {
    this.queue.cancelAll();
    this.engine.dispose();
    for (const d of this.disposables) d.dispose();
  }

  private log(entry: RunEntry, message: RunMessage | undefined): void {
    if (entry.state === 'queued' && message === undefined && entry.position > 0) {
      this.output.appendLine(`run ${entry.key}: ${entry.request.label} queued behind ${entry.position} run(s)`);
    } else if (message?.type === 'started') {
      this.output.appendLine(
        `run ${entry.key}: ${entry.request.label} started as ${entry.runId ?? '?'} in ${entry.runDir ?? '?'}`,
      );
      // Which engine computes, and why faster ones were passed over (a missing native engine says
      // how to get it): the first thing to read when a run is slow.
      this.output.appendLine(`run ${entry.key}: on ${message.device} (${message.backend})`);
      for (const note of message.notes) this.output.appendLine(`  ${note}`);
    } else if (entry.state === 'finished') {
      this.output.appendLine(`run ${entry.key}${entry.runId ? ` (${entry.runId})` : ''}: ${describeOutcome(entry)}`);
      this.announce(entry);
      for (const listener of [...this.finishedListeners]) listener(entry);
    }
  }

  private announce(entry: RunEntry): void {
    const label = entry.request.label.replace(/^(Evaluating|Training)/, (w) =>
      w === 'Evaluating' ? 'Evaluation of' : 'Training of',
    );
    const text = `${label}: ${describeOutcome(entry)}`;
    if (entry.outcome === 'failed') {
      void vscode.window.showErrorMessage(`Robustness Lens: ${text}`, 'Show Output').then((choice) => {
        if (choice) this.output.show(true);
      });
    } else if (entry.outcome !== 'cancelled' || entry.summary) {
      // A run cancelled once started says what it kept; one cancelled in the queue needs no word.
      void vscode.window.showInformationMessage(`Robustness Lens: ${text}`);
    }
  }
}
