import { fork, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import {
  READY,
  type AnalysisQueries,
  type AnalysisRequest,
  type AnalysisResponse,
  type QueryKind,
} from './analysis-protocol';
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

/**
 * Two analysis processes run side by side (see AnalysisPool), so each gets 640 MB of heap and is
 * stopped past 896 MB resident: with the server, under 2 GB even when both explode at once.
 * The environment variables exist for tests and small machines.
 */
export const DEFAULT_BUDGETS: AnalysisBudgets = {
  timeMs: Number(process.env.ROBUSTNESS_LENS_ANALYSIS_TIME_MS) || 10_000,
  memoryMb: Number(process.env.ROBUSTNESS_LENS_ANALYSIS_MEMORY_MB) || 640,
};

/** Resident memory past the heap limit (code, WebAssembly memory of the parser) before a stop. */
const RESIDENT_MARGIN_MB = 256;
const STUCK_AFTER_MS = 250;
/** Starting node and loading the Python grammar; generous, for a loaded machine. */
const START_BUDGET_MS = 60_000;

/** The request ran past a budget or the process died under it: what the editor is told. */
export class AnalysisStopped extends Error {
  constructor(readonly reason: string) {
    super(`analysis stopped: ${reason}`);
  }
}

export interface Pending {
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

/** What V8 and Node write to stderr when a process runs out of memory, as alternatives of one pattern. */
const MEMORY_FAILURE = new RegExp(
  [
    'heap out of memory',
    'allocation failed',
    'invalid (array|table|string) length',
    'invalid size error',
    'could not allocate memory',
    'out of memory',
  ].join('|'),
  'i',
);

/**
 * Sends analysis requests to the analysis process one at a time, restarting it when it dies or
 * runs past a budget. The request in flight then fails with AnalysisStopped; the ones queued
 * behind it go to the new process.
 */
export class AnalysisClient {
  private child: ChildProcess | undefined;
  /** Whether the child said it is ready; requests wait for that. */
  private ready = false;
  private startTimer: NodeJS.Timeout | undefined;
  private stderrTail = '';
  private readonly queue: Pending[] = [];
  private inFlight:
    | {
        pending: Pending;
        timer: NodeJS.Timeout;
        poll: NodeJS.Timeout | undefined;
        stuck: NodeJS.Timeout;
        started: number;
      }
    | undefined;
  /** Called when the request in flight has run long enough to hold up the queue behind it. */
  onStuck: (() => void) | undefined;
  private nextId = 1;

  constructor(
    private readonly script: string,
    private readonly settings: () => ServerSettings,
    readonly budgets: AnalysisBudgets = DEFAULT_BUDGETS,
  ) {}

  request<K extends QueryKind>(
    kind: K,
    query: AnalysisQueries[K]['query'],
    supersedeKey?: string,
  ): Promise<AnalysisQueries[K]['answer']> {
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

  /**
   * Busy with another document for a while: a request for `uri` would wait behind it. A
   * request is expected to take milliseconds, so a quarter second means a slow or hostile file.
   */
  stuckFor(uri: string | undefined): boolean {
    const current = this.inFlight;
    if (!current) return false;
    const busyWith = (current.pending.request.query as { doc?: { uri: string } }).doc?.uri;
    return busyWith !== uri && Date.now() - current.started > STUCK_AFTER_MS;
  }

  /** Takes back the queued requests about other documents than the one in flight, to send elsewhere. */
  takeQueuedForOthers(): Pending[] {
    const busyWith = (this.inFlight?.pending.request.query as { doc?: { uri: string } } | undefined)?.doc?.uri;
    const taken = this.queue.filter((p) => (p.request.query as { doc?: { uri: string } }).doc?.uri !== busyWith);
    this.queue.splice(0, this.queue.length, ...this.queue.filter((p) => !taken.includes(p)));
    return taken;
  }

  /** Queues a request taken from another process (with an id of this one). */
  adopt(pending: Pending): void {
    this.queue.push({ ...pending, request: { ...pending.request, id: this.nextId++ } });
    this.pump();
  }

  /** Starts the process before the first request, so that request does not wait for node to start. */
  warm(): void {
    this.child ??= this.start();
  }

  dispose(): void {
    clearTimeout(this.startTimer);
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
    this.ready = false;
    this.startTimer = setTimeout(
      () => this.stop(child, `the analysis process did not start within ${START_BUDGET_MS / 1000} s`),
      START_BUDGET_MS,
    );
    child.on('message', (message: AnalysisResponse | typeof READY) => {
      if (message !== READY) {
        this.settle(child, message);
      } else if (child === this.child) {
        clearTimeout(this.startTimer);
        this.ready = true;
        this.pump();
      }
    });
    child.on('exit', (code, signal) => this.exited(child, code, signal));
    child.on('error', () => undefined);
    return child;
  }

  private pump(): void {
    if (this.inFlight || this.queue.length === 0) return;
    this.child ??= this.start();
    if (!this.ready) return;
    const child = this.child;
    const pending = this.queue.shift();
    if (!pending) return;
    const timer = setTimeout(
      () => this.stop(child, `took more than ${this.budgets.timeMs / 1000} s`),
      this.budgets.timeMs,
    );
    const poll =
      process.platform === 'linux'
        ? setInterval(() => {
            const rss = residentMb(child.pid ?? -1);
            if (rss !== undefined && rss > this.budgets.memoryMb + RESIDENT_MARGIN_MB)
              this.stop(child, `used more than ${this.budgets.memoryMb} MB`);
          }, 100)
        : undefined;
    const stuck = setTimeout(() => this.onStuck?.(), STUCK_AFTER_MS + 10);
    this.inFlight = { pending, timer, poll, stuck, started: Date.now() };
    child.send(pending.request, (error) => {
      if (error) this.stop(child, `could not reach the analysis process (${error.message})`);
    });
  }

  private finish(): Pending | undefined {
    const current = this.inFlight;
    if (!current) return undefined;
    clearTimeout(current.timer);
    clearTimeout(current.stuck);
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
    const started = this.ready;
    this.child = undefined;
    this.ready = false;
    clearTimeout(this.startTimer);
    child.kill('SIGKILL');
    // A process that died before it was ready fails the request waiting for it (else a process
    // that cannot start would be restarted for ever).
    const stopped = this.finish() ?? (started ? undefined : this.queue.shift());
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
    this.stop(
      child,
      memory
        ? `used more than ${this.budgets.memoryMb} MB`
        : `the analysis process ended (${signal ?? `exit code ${String(code)}`})`,
    );
  }
}

/** A queued request replaced by a newer one for the same document before it ran. */
export class Superseded extends Error {
  constructor() {
    super('superseded by a newer request');
  }
}

/**
 * Analysis processes with document affinity: a document goes to its own process, where its
 * cache and incremental memo live, unless that one is stuck on another document; then the
 * other process takes it (a full read, but no wait behind a hostile file).
 */
export class AnalysisPool {
  private readonly clients: AnalysisClient[];

  constructor(script: string, settings: () => ServerSettings, size = 2, budgets: AnalysisBudgets = DEFAULT_BUDGETS) {
    this.clients = Array.from({ length: size }, () => new AnalysisClient(script, settings, budgets));
    // Both start now: the spare one must be ready when a hostile file holds the other.
    for (const client of this.clients) {
      client.warm();
      // Requests queued behind a slow file before it looked slow move to a free process.
      client.onStuck = () => {
        const free = this.clients.find((c) => c !== client && !c.stuckFor(undefined));
        if (free) for (const pending of client.takeQueuedForOthers()) free.adopt(pending);
      };
    }
  }

  get budgets(): AnalysisBudgets {
    return this.clients[0]?.budgets ?? DEFAULT_BUDGETS;
  }

  request<K extends QueryKind>(
    kind: K,
    query: AnalysisQueries[K]['query'],
    supersedeKey?: string,
  ): Promise<AnalysisQueries[K]['answer']> {
    // Cache changes concern every process.
    if (kind === 'invalidate' || kind === 'forget') {
      return Promise.all(this.clients.map((c) => c.request(kind, query))).then(
        () => null as AnalysisQueries[K]['answer'],
      );
    }
    return this.pick((query as { doc?: { uri: string } }).doc?.uri).request(kind, query, supersedeKey);
  }

  dispose(): void {
    for (const client of this.clients) client.dispose();
  }

  private pick(uri: string | undefined): AnalysisClient {
    let hash = 0;
    for (const c of uri ?? '') hash = (hash * 31 + c.charCodeAt(0)) >>> 0;
    const home = this.clients[hash % this.clients.length] as AnalysisClient;
    if (!home.stuckFor(uri)) return home;
    return this.clients.find((c) => c !== home && !c.stuckFor(uri)) ?? home;
  }
}
