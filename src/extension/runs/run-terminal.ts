import * as vscode from 'vscode';
import type { RunMessage } from '../../engine/run/run-messages';
import type { RunEntry } from './run-queue';
import type { RunRequest } from './run-request';
import type { RunService } from './run-service';
import { describeOutcome, describeProgress } from './run-text';
import { UNTRUSTED_MESSAGE } from './trust';

const pct = (x: number): string => `${(100 * x).toFixed(1)}%`;

/**
 * The terminal of a `robustness-lens` task: queues the run, prints its progress, and ends with
 * the run (exit 0 completed, 130 cancelled, 1 otherwise). Closing the terminal or Ctrl-C cancels.
 */
export class RunTerminal implements vscode.Pseudoterminal {
  private readonly writer = new vscode.EventEmitter<string>();
  private readonly closer = new vscode.EventEmitter<number>();
  readonly onDidWrite = this.writer.event;
  readonly onDidClose = this.closer.event;
  private key: string | undefined;
  private subscription: { dispose(): void } | undefined;
  private lastProgressAt = 0;

  constructor(
    private readonly runs: RunService,
    private readonly request: RunRequest | { readonly error: string },
  ) {}

  open(): void {
    if (!vscode.workspace.isTrusted) return this.end(UNTRUSTED_MESSAGE, 1);
    if ('error' in this.request) return this.end(`robustness-lens task: ${this.request.error}`, 2);
    this.line(`${this.request.label}`);
    const request = this.request;
    // Matched by the request object, not the key: the queue may report (even finish) the run
    // before start() returns its key.
    this.subscription = this.runs.queue.onEvent((entry, message) => {
      if (entry.request === request) this.show(entry, message);
    });
    const key = this.runs.start(request, false).key;
    if (this.runs.queue.find(key)) this.key = key;
  }

  close(): void {
    // The person closed the terminal or terminated the task: the run stops too.
    if (this.key) this.runs.queue.cancel(this.key);
    this.subscription?.dispose();
  }

  handleInput(data: string): void {
    if (data === '\x03' && this.key && this.runs.queue.cancel(this.key))
      this.line('cancelling after the current step...');
  }

  private show(entry: RunEntry, message?: RunMessage): void {
    if (entry.state === 'finished') {
      const code = entry.outcome === 'completed' ? 0 : entry.outcome === 'cancelled' ? 130 : 1;
      return this.end(`${describeOutcome(entry)}${entry.runDir ? `\r\nrun folder: ${entry.runDir}` : ''}`, code);
    }
    if (!message) {
      if (entry.state === 'queued' && entry.position > 0) this.line(describeProgress(entry));
      return;
    }
    switch (message.type) {
      case 'started':
        this.line(`run ${message.runId} on ${message.backend} (${message.device})`);
        for (const note of message.notes) this.line(`  ${note}`);
        return;
      case 'progress': {
        // A terminal is a log: one progress line a second is readable, one per step is not.
        const now = Date.now();
        if (now - this.lastProgressAt < 1000 && message.done < message.total) return;
        this.lastProgressAt = now;
        this.line(describeProgress(entry));
        return;
      }
      case 'metric': {
        const m = message.epoch;
        this.line(
          `epoch ${m.epoch}: loss ${m.trainLoss.toFixed(4)}, clean ` +
            `${pct(m.cleanAccuracy)}, FGSM ${pct(m.fgsmAccuracy)}, PGD ${pct(m.pgdAccuracy)}`,
        );
        return;
      }
      case 'checkpoint':
        this.line(`checkpoint: ${message.file}`);
        return;
      default:
        return;
    }
  }

  private line(text: string): void {
    this.writer.fire(`${text.replace(/\r?\n/g, '\r\n')}\r\n`);
  }

  private end(text: string, code: number): void {
    this.line(text);
    this.subscription?.dispose();
    this.key = undefined;
    this.closer.fire(code);
  }
}
