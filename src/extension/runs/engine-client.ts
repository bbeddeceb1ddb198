import { fork } from 'node:child_process';
import type { EngineMessage, EngineRequest } from '../../engine/protocol';
import type { RunMessage } from '../../engine/run/run-messages';
import type { RunExecution, RunExecutor } from './run-queue';
import type { RunRequest } from './run-request';

/** The part of a forked child process the client uses (a fake one in tests). */
export interface WorkerProcess {
  send(message: EngineRequest): boolean;
  onMessage(listener: (message: unknown) => void): void;
  onExit(listener: (code: number | null, signal: string | null) => void): void;
  kill(): void;
}

export type SpawnWorker = () => WorkerProcess;

/** A run sbatch accepted: the editor follows its folder from here on. */
export interface SubmittedRun {
  readonly runId: string;
  readonly runDir: string;
  readonly jobId: string;
}

/** Forks dist/engine-worker.js with an IPC channel; its output goes to `log` line by line. */
export function forkWorker(workerFile: string, log: (line: string) => void): SpawnWorker {
  return () => {
    const child = fork(workerFile, [], {
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      // Inside VS Code desktop process.execPath is Electron: this makes it behave as plain Node.
      env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' },
      execArgv: [],
    });
    const forward = (chunk: Buffer): void => {
      for (const line of chunk.toString('utf8').split(/\r?\n/)) if (line.trim()) log(`[engine] ${line}`);
    };
    child.stdout?.on('data', forward);
    child.stderr?.on('data', forward);
    return {
      send: (message) => child.connected && child.send(message),
      onMessage: (listener) => child.on('message', listener),
      onExit: (listener) => child.on('exit', listener),
      kill: () => child.kill(),
    };
  };
}

/**
 * Talks to one engine worker process: starts it on the first run, routes each streamed message to
 * the run that asked, turns a worker that dies into an `error` for its runs, and stops it after
 * `idleMs` without a run so TensorFlow's memory goes back to the system.
 */
export class EngineClient {
  private worker: WorkerProcess | undefined;
  private nextId = 1;
  private readonly runs = new Map<number, (message: RunMessage) => void>();
  private idleTimer: NodeJS.Timeout | undefined;
  /** Slurm submissions waiting for sbatch, by request id. */
  private readonly submissions = new Map<number, (submitted: SubmittedRun) => void>();

  constructor(
    private readonly spawn: SpawnWorker,
    private readonly idleMs = 120_000,
  ) {}

  readonly execute: RunExecutor = (request: RunRequest, onMessage: (message: RunMessage) => void): RunExecution => {
    clearTimeout(this.idleTimer);
    const worker = this.ensureWorker();
    const id = this.nextId++;
    this.runs.set(id, onMessage);
    const sent = worker.send(
      request.kind === 'train'
        ? { id, type: 'train', options: request.options }
        : { id, type: 'eval', options: request.options },
    );
    if (!sent) this.end(id, { type: 'error', message: 'the engine process is not accepting requests' });
    return {
      cancel: () => {
        if (this.runs.has(id)) this.worker?.send({ id: this.nextId++, type: 'cancel', target: id });
      },
    };
  };

  /**
   * Hands a PyTorch training request with a Slurm launch to the worker, which prepares the run
   * folder and submits it: resolves with the job once sbatch accepted it, rejects with why not.
   */
  submit(request: RunRequest): Promise<SubmittedRun> {
    return new Promise((resolve, reject) => {
      let id = 0;
      this.execute(request, (message) => {
        this.submissions.delete(id);
        reject(
          new Error(
            message.type === 'error' ? message.message : `the engine ended the submission with ${message.type}`,
          ),
        );
      });
      // execute() took the id just before this one; the worker answers it with `submitted`.
      id = this.nextId - 1;
      this.submissions.set(id, resolve);
    });
  }

  /** Ends the worker (the editor is closing); runs in progress end with an error. */
  dispose(): void {
    clearTimeout(this.idleTimer);
    const worker = this.worker;
    this.worker = undefined;
    worker?.kill();
    for (const id of [...this.runs.keys()]) this.end(id, { type: 'error', message: 'the editor stopped the engine' });
  }

  private ensureWorker(): WorkerProcess {
    if (this.worker) return this.worker;
    const worker = this.spawn();
    this.worker = worker;
    worker.onMessage((raw) => this.route(raw as EngineMessage));
    worker.onExit((code, signal) => {
      if (this.worker !== worker) return;
      this.worker = undefined;
      const why = signal ? `signal ${signal}` : `exit code ${code}`;
      for (const id of [...this.runs.keys()])
        this.end(id, {
          type: 'error',
          message: `the engine process stopped unexpectedly (${why}); see the Robustness Lens output`,
        });
    });
    return worker;
  }

  private route(message: EngineMessage): void {
    if (message.type === 'run') {
      const terminal = message.message.type === 'result' || message.message.type === 'error';
      if (terminal) this.end(message.id, message.message);
      else this.runs.get(message.id)?.(message.message);
    } else if (message.type === 'submitted') {
      const resolve = this.submissions.get(message.id);
      this.submissions.delete(message.id);
      // Ended without a message to its listener: the submission's promise says what happened.
      if (this.runs.delete(message.id)) this.idleIfDone();
      resolve?.({ runId: message.runId, runDir: message.runDir, jobId: message.jobId });
    } else if (message.type === 'error') {
      // The worker refused the request itself (it failed validation).
      this.end(message.id, { type: 'error', message: `the engine refused the run: ${message.message}` });
    }
  }

  private end(id: number, message: RunMessage): void {
    const listener = this.runs.get(id);
    if (!listener) return;
    this.runs.delete(id);
    listener(message);
    this.idleIfDone();
  }

  private idleIfDone(): void {
    if (this.runs.size === 0 && this.worker) {
      clearTimeout(this.idleTimer);
      this.idleTimer = setTimeout(() => {
        const worker = this.worker;
        this.worker = undefined;
        worker?.kill();
      }, this.idleMs);
      this.idleTimer.unref?.();
    }
  }
}
