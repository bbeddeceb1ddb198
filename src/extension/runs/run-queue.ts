import type { RunMessage, RunSummary } from '../../engine/run/run-messages';
import type { RunRequest } from './run-request';

export type RunState = 'queued' | 'running' | 'finished';
export type RunOutcome = RunSummary['status'] | 'failed';

/** A started run: cancel asks the engine to stop after its current step. */
export interface RunExecution {
  cancel(): void;
}

/**
 * Starts a request; `onMessage` receives the run's stream and must end with exactly one `result`
 * or `error` message (the engine client turns a crashed worker into an `error`).
 */
export type RunExecutor = (request: RunRequest, onMessage: (message: RunMessage) => void) => RunExecution;

export interface RunEntry {
  /** Ours, known before the engine names the run folder: `queued-3`. */
  readonly key: string;
  readonly request: RunRequest;
  readonly state: RunState;
  /** The engine's run id and folder, from its `started` message. */
  readonly runId?: string;
  readonly runDir?: string;
  readonly lastProgress?: Extract<RunMessage, { type: 'progress' }>;
  readonly summary?: RunSummary;
  readonly error?: string;
  readonly outcome?: RunOutcome;
  readonly cancelRequested: boolean;
  /** Runs ahead of this one while it waits. */
  readonly position: number;
}

export type RunListener = (entry: RunEntry, message?: RunMessage) => void;

interface MutableEntry {
  key: string;
  request: RunRequest;
  state: RunState;
  runId?: string;
  runDir?: string;
  lastProgress?: Extract<RunMessage, { type: 'progress' }>;
  summary?: RunSummary;
  error?: string;
  outcome?: RunOutcome;
  cancelRequested: boolean;
  execution?: RunExecution;
}

/**
 * One engine run at a time, the rest wait in order. The worker could run two at once, but they
 * would share one TensorFlow.js back end (a run may switch it), the CPU or GPU and its memory:
 * each would go at half speed or worse, and their timings in environment.json would be wrong.
 */
export class RunQueue {
  private readonly entries: MutableEntry[] = [];
  private readonly listeners = new Set<RunListener>();
  private counter = 0;

  constructor(private readonly execute: RunExecutor) {}

  onEvent(listener: RunListener): { dispose(): void } {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }

  enqueue(request: RunRequest): RunEntry {
    const entry: MutableEntry = { key: `queued-${++this.counter}`, request, state: 'queued', cancelRequested: false };
    this.entries.push(entry);
    this.emit(entry);
    this.pump();
    return this.view(entry);
  }

  /** Runs still queued or running, oldest first. */
  active(): RunEntry[] {
    return this.entries.filter((e) => e.state !== 'finished').map((e) => this.view(e));
  }

  /** By our key or by the engine's run id. */
  find(id: string): RunEntry | undefined {
    const entry = this.lookup(id);
    return entry ? this.view(entry) : undefined;
  }

  /**
   * A queued run leaves the queue; a running one is asked to stop (it ends with a `cancelled`
   * result keeping what it finished). False when there is no such unfinished run.
   */
  cancel(id: string): boolean {
    const entry = this.lookup(id);
    if (!entry || entry.state === 'finished') return false;
    entry.cancelRequested = true;
    if (entry.state === 'queued') {
      this.finish(entry, { outcome: 'cancelled', error: 'cancelled before it started' });
      return true;
    }
    entry.execution?.cancel();
    this.emit(entry);
    return true;
  }

  cancelAll(): void {
    for (const entry of [...this.entries]) if (entry.state !== 'finished') this.cancel(entry.key);
  }

  private lookup(id: string): MutableEntry | undefined {
    return this.entries.find((e) => e.key === id || e.runId === id);
  }

  private pump(): void {
    if (this.entries.some((e) => e.state === 'running')) return;
    const next = this.entries.find((e) => e.state === 'queued');
    if (!next) return;
    next.state = 'running';
    this.emit(next);
    let ended = false;
    const onMessage = (message: RunMessage): void => {
      if (ended) return;
      switch (message.type) {
        case 'started':
          next.runId = message.runId;
          next.runDir = message.runDir;
          break;
        case 'progress':
          next.lastProgress = message;
          break;
        case 'result':
          ended = true;
          this.finish(next, { summary: message.result, outcome: message.result.status }, message);
          return;
        case 'error':
          ended = true;
          this.finish(next, { error: message.message, outcome: 'failed' }, message);
          return;
        default:
          break;
      }
      this.emit(next, message);
    };
    try {
      next.execution = this.execute(next.request, onMessage);
    } catch (error) {
      onMessage({ type: 'error', message: `could not start the engine: ${(error as Error).message}` });
    }
  }

  private finish(
    entry: MutableEntry,
    end: { summary?: RunSummary; error?: string; outcome: RunOutcome },
    message?: RunMessage,
  ): void {
    entry.state = 'finished';
    entry.outcome = end.outcome;
    if (end.summary) entry.summary = end.summary;
    if (end.error) entry.error = end.error;
    delete entry.execution;
    // Finished runs live on in their folders; the queue only needs the unfinished ones.
    this.entries.splice(this.entries.indexOf(entry), 1);
    this.emit(entry, message);
    for (const waiting of this.entries) if (waiting.state === 'queued') this.emit(waiting);
    this.pump();
  }

  private emit(entry: MutableEntry, message?: RunMessage): void {
    const view = this.view(entry);
    for (const listener of [...this.listeners]) {
      // A broken view (a closed panel, a disposed terminal) must not stop the queue.
      try {
        listener(view, message);
      } catch (error) {
        console.error('robustness-lens: run listener failed', error);
      }
    }
  }

  private view(entry: MutableEntry): RunEntry {
    const position = entry.state === 'queued' ? this.entries.filter((e) => e.state !== 'finished').indexOf(entry) : 0;
    // A snapshot without the execution handle: listeners cancel through the queue.
    const view: RunEntry & { execution?: RunExecution } = { ...entry, position };
    delete view.execution;
    return view;
  }
}
