import { fork, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import type { AnalysisQueries, AnalysisRequest, AnalysisResponse, QueryKind } from './analysis-protocol';
import type { ServerSettings } from './settings';

/**
 * Budgets of one analysis request. A worker_threads Worker cannot hold them: V8 aborts the whole
 * process when a worker's heap runs out during a large allocation (tried: `l = l + l` 64 times in
 * a worker with maxOldGenerationSizeMb 512 took the server down), so the analysis runs in a
 * child process that can die alone.
 */
export interface AnalysisBudgets {
  /** Wall-clock time of one request, from when the process receives it. */
  readonly timeMs: number;
  /** The process's V8 heap limit, and (where /proc tells) its resident memory. */
  readonly memoryMb: number;
}

export const DEFAULT_BUDGETS: AnalysisBudgets = {
  timeMs: Number(process.env.ROBUSTNESS_LENS_ANALYSIS_TIME_MS) || 10_000,
  memoryMb: Number(process.env.ROBUSTNESS_LENS_ANALYSIS_MEMORY_MB) || 1024,
};

/** The request ran past a budget or the process died under it: what the editor is told. */
export class AnalysisStopped extends Error {
  constructor(readonly reason: string) {
    super(`analysis stopped: ${reason}`);
  }
}

interface Pending {
  readonly request: AnalysisRequest;
  readonly resolve: (answer: unknown) => void;
  readonly reject: (error: Error) => void;
  /** Queued requests with the same key are replaced by a newer one (a keystroke supersedes the last). */
  readonly supersedeKey?: string;
  /** The document version it analyses: once one request about it is stopped, the queued ones are too. */
  readonly documentKey?: string;
}

/** Memory the process holds in RAM, from /proc (Linux); undefined elsewhere. */
function residentMb(pid: number): number | undefined {
  try {
    const pages = Number(fs.readFileSync(`/proc/${pid}/statm`, 'utf8').split(' ')[1]);
    return (pages * 4096) / (1024 * 1024);
  } catch {
    return undefined;
  }
}

const MEMORY_FAILURE = /heap out of memory|allocation failed|invalid (array|table|string) length|invalid size error|could not allocate memory|out of memory/i;

/**
 * Sends analysis requests to the analysis process one at a time, restarting it when it dies or
 * runs past a budget. The request in flight then fails with AnalysisStopped; the ones queued
 * behind it go to the new process.
 */
export class AnalysisClient {
  private child: ChildProcess | undefined;
  private stderrTail = '';
  private readonly queue: Pending[] = [];
  private inFlight: { pending: Pending; timer: NodeJS.Timeout; poll: NodeJS.Timeout | undefined; started: number } | undefined;
  private nextId = 1;

  constructor(
    private readonly script: string,
    private readonly settings: () => ServerSettings,
    readonly budgets: AnalysisBudgets = DEFAULT_BUDGETS,
  ) {}

  request<K extends QueryKind>(kind: K, query: AnalysisQueries[K]['query'], supersedeKey?: string): Promise<AnalysisQueries[K]['answer']> {
    return new Promise((resolve, reject) => {
      if (supersedeKey !== undefined) {
        const index = this.queue.findIndex((p) => p.supersedeKey === supersedeKey);
        if (index >= 0) this.queue.splice(index, 1)[0]?.reject(new Superseded());
      }
      const request: AnalysisRequest = { id: this.nextId++, kind, query, settings: this.settings() };
      const doc = (query as { doc?: { uri: string; version?: number } }).doc;
      const documentKey = doc ? `${doc.uri}@${String(doc.version)}` : undefined;
      this.queue.push({ request, resolve: resolve as (answer: unknown) => void, reject, supersedeKey, documentKey });
      this.pump();
    });
  }

  dispose(): void {
    this.child?.kill('SIGKILL');
    this.child = undefined;
  }

  private start(): ChildProcess {
    // The server's own bundle, in its analysis role. Its stdout must stay off the server's
    // stdout (the LSP stream); stderr is kept to tell a memory failure from a crash.
    const child = fork(this.script, ['--analysis-worker'], {
      execArgv: [`--max-old-space-size=${this.budgets.memoryMb}`],
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      serialization: 'advanced',
    });
    this.stderrTail = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      this.stderrTail = (this.stderrTail + chunk.toString('utf8')).slice(-4096);
    });
    child.on('message', (response: AnalysisResponse) => this.settle(child, response));
    child.on('exit', (code, signal) => this.exited(child, code, signal));
    child.on('error', () => undefined);
    return child;
  }

  private pump(): void {
    if (this.inFlight) return;
    const pending = this.queue.shift();
    if (!pending) return;
    this.child ??= this.start();
    const child = this.child;
    const timer = setTimeout(() => this.stop(child, `took more than ${this.budgets.timeMs / 1000} s`), this.budgets.timeMs);
    const poll = process.platform === 'linux'
      ? setInterval(() => {
        const rss = residentMb(child.pid ?? -1);
        if (rss !== undefined && rss > 1.5 * this.budgets.memoryMb) this.stop(child, `used more than ${this.budgets.memoryMb} MB`);
      }, 100)
      : undefined;
    this.inFlight = { pending, timer, poll, started: Date.now() };
    child.send(pending.request, (error) => {
      if (error) this.stop(child, `could not reach the analysis process (${error.message})`);
    });
  }

  private finish(): Pending | undefined {
    const current = this.inFlight;
    if (!current) return undefined;
    clearTimeout(current.timer);
    if (current.poll) clearInterval(current.poll);
    this.inFlight = undefined;
    return current.pending;
  }

  private settle(child: ChildProcess, response: AnalysisResponse): void {
    if (child !== this.child || this.inFlight?.pending.request.id !== response.id) return;
    const pending = this.finish();
    if (response.ok) pending?.resolve(response.answer);
    else pending?.reject(new Error(response.error));
    this.pump();
  }

  /** Kills the process for the request in flight; the next request starts a fresh one. */
  private stop(child: ChildProcess, reason: string): void {
    if (child !== this.child) return;
    this.child = undefined;
    child.kill('SIGKILL');
    const stopped = this.finish();
    stopped?.reject(new AnalysisStopped(reason));
    // Asking again about the same version would cost the same budget again.
    for (let i = this.queue.length - 1; i >= 0; i--) {
      const queued = this.queue[i];
      if (stopped?.documentKey !== undefined && queued?.documentKey === stopped.documentKey) {
        this.queue.splice(i, 1);
        queued.reject(new AnalysisStopped(reason));
      }
    }
    this.pump();
  }

  private exited(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (child !== this.child) return;
    const memory = MEMORY_FAILURE.test(this.stderrTail);
    this.stop(child, memory ? `used more than ${this.budgets.memoryMb} MB` : `the analysis process ended (${signal ?? `exit code ${String(code)}`})`);
  }
}

/** A queued request replaced by a newer one for the same document before it ran. */
export class Superseded extends Error {
  constructor() {
    super('superseded by a newer request');
  }
}
