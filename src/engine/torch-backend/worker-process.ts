import { spawn, type ChildProcessByStdio } from 'node:child_process';
import * as path from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { pythonDir } from '../torch/trainer-command';
import { encodeFrame, FrameReader, type Frame, type Header, type WireArray } from './frames';

/** The last characters of the worker's stderr kept for error messages. */
const STDERR_TAIL = 4000;

export class TorchWorkerError extends Error {}

export interface WorkerOptions {
  /** The user's interpreter (robustnessLens.python.path, --python). */
  readonly python: string;
  /** The worker's working directory (user code may read files relative to it). */
  readonly cwd?: string;
  /**
   * PyTorch's intra-op threads, given to OpenMP before PyTorch starts (OMP_NUM_THREADS) so its
   * thread pool is made that size once; the load request sets torch.set_num_threads too.
   */
  readonly threads?: number;
}

type Pending = { resolve: (frame: Frame) => void; reject: (error: Error) => void };

/**
 * One `python -m robustness_lens_worker` process and its pipes. Requests go one at a time, in
 * order (the protocol answers each before reading the next), so callers may issue them freely.
 */
export class TorchWorker {
  private readonly reader = new FrameReader();
  private readonly waiting: Pending[] = [];
  private stderr = '';
  private exited: Error | undefined;
  private nextId = 0;

  private constructor(
    private readonly child: ChildProcessByStdio<Writable, Readable, Readable>,
    private readonly python: string,
  ) {
    child.stdout.on('data', (chunk: Buffer) => {
      let frames: Frame[];
      try {
        frames = this.reader.push(chunk);
      } catch (error) {
        this.fail(
          new TorchWorkerError(`the torch worker sent bytes that are not a frame: ${(error as Error).message}`),
        );
        child.kill();
        return;
      }
      for (const frame of frames) this.waiting.shift()?.resolve(frame);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      this.stderr = (this.stderr + chunk.toString('utf8')).slice(-STDERR_TAIL);
    });
    child.on('error', (error) =>
      this.fail(new TorchWorkerError(`${python} could not start the torch worker: ${error.message}`)),
    );
    child.on('exit', (code, signal) => {
      const tail = this.stderr.trim() ? `:\n${this.stderr.trim()}` : '';
      this.fail(
        new TorchWorkerError(`the torch worker (${python}) exited with ${signal ?? `code ${code ?? '?'}`}${tail}`),
      );
    });
    // A worker that died leaves writes failing with EPIPE; the exit handler reports why.
    child.stdin.on('error', () => undefined);
  }

  static start(options: WorkerOptions): TorchWorker {
    const env = {
      ...process.env,
      PYTHONPATH: [pythonDir(), process.env.PYTHONPATH].filter(Boolean).join(path.delimiter),
      PYTHONDONTWRITEBYTECODE: '1',
      ...(options.threads ? { OMP_NUM_THREADS: String(options.threads) } : {}),
      // OpenMP threads that spin after each parallel region hold a core the other threads of the
      // region, Node and the rest of the machine need: on 2 shared cores PyTorch ran 2-4x slower
      // on 2 threads than on 1 with the default wait policy, and no slower with PASSIVE. A policy
      // the user set is kept.
      OMP_WAIT_POLICY: process.env.OMP_WAIT_POLICY ?? 'PASSIVE',
    };
    const child = spawn(options.python, ['-m', 'robustness_lens_worker'], {
      cwd: options.cwd ?? process.cwd(),
      env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    return new TorchWorker(child, options.python);
  }

  /** Sends a request and resolves with the answer; rejects with the worker's message when it refuses. */
  request(
    op: string,
    header: Header = {},
    arrays: readonly (readonly [string, WireArray, readonly number[]])[] = [],
  ): Promise<Frame> {
    if (this.exited) return Promise.reject(this.exited);
    const id = ++this.nextId;
    const bytes = encodeFrame({ ...header, op, id }, arrays);
    return new Promise<Frame>((resolve, reject) => {
      this.waiting.push({ resolve, reject });
      this.child.stdin.write(bytes);
    }).then((frame) => {
      if (frame.header.ok !== true)
        throw new TorchWorkerError(String(frame.header.error ?? `the torch worker refused ${op}`));
      return frame;
    });
  }

  /** Asks the worker to quit, and kills it if it has not within `graceMs`. */
  async close(graceMs = 5000): Promise<void> {
    if (this.exited) return;
    const gone = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.request('quit').catch(() => undefined);
    this.child.stdin.end();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await gone;
    clearTimeout(timer);
  }

  /** The process id, for tests and the run's environment. */
  get pid(): number | undefined {
    return this.child.pid;
  }

  get interpreter(): string {
    return this.python;
  }

  private fail(error: Error): void {
    this.exited ??= error;
    for (const p of this.waiting.splice(0)) p.reject(this.exited);
  }
}
