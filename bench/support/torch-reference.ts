import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as readline from 'node:readline';
import type { Network } from '../../src/core';
import { networkJson } from '../../src/engine/pytorch/network-json';

export interface TorchShape {
  readonly batch: number;
  readonly trainBatch: number;
  readonly threads: number;
  /**
   * The torch worker's process settings in this process too: its allocator's (--keep-freed-memory,
   * python/robustness_lens_worker/allocator.py) and its OpenMP wait policy (PASSIVE unless one is set).
   */
  readonly workerSettings?: boolean;
}

/**
 * Debian's PyTorch running the benchmark's model in a process of its own (python/bench_pgd.py
 * --serve), measuring on request, so the engine's figures and PyTorch's are taken turn about in
 * the same minutes: on a shared 2-core machine whose speed drifts by 30% over a few minutes, that
 * keeps the ratios honest where two separate runs would not. It sits idle (blocked on its
 * input) while the engine measures.
 */
export class TorchReference {
  private constructor(
    private readonly child: ChildProcessWithoutNullStreams,
    private readonly replies: AsyncIterator<string>,
    readonly version: string,
    readonly threads: number,
  ) {}

  /** The reference, or undefined with the reason printed when PyTorch cannot run here. */
  static async start(root: string, net: Network, shape: TorchShape): Promise<TorchReference | undefined> {
    const python =
      process.env.ROBUSTNESS_LENS_PYTHON ?? (fs.existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3');
    const json = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'rl-bench-')), 'network.json');
    fs.writeFileSync(json, JSON.stringify(networkJson(net)));
    const args = [
      path.join(root, 'python', 'bench_pgd.py'),
      json,
      '--serve',
      '--batch',
      String(shape.batch),
      '--train-batch',
      String(shape.trainBatch),
      '--threads',
      String(shape.threads),
      ...(shape.workerSettings ? ['--keep-freed-memory'] : []),
    ];
    const env = shape.workerSettings
      ? { ...process.env, OMP_WAIT_POLICY: process.env.OMP_WAIT_POLICY ?? 'PASSIVE' }
      : process.env;
    const child = spawn(python, args, { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    let started = false;
    const failed = new Promise<undefined>((resolve) => {
      const fail = (why: string): void => {
        if (!started) console.log(`PyTorch: not measured (${why})`);
        resolve(undefined);
      };
      child.on('error', (e) => fail(e.message));
      child.on('exit', () => fail(stderr.trim().split('\n').pop() ?? 'no torch'));
    });
    // One iterator for the process's life: leaving a for-await loop would close the lines.
    const replies = readline.createInterface({ input: child.stdout })[Symbol.asyncIterator]();
    const ready = (async (): Promise<TorchReference | undefined> => {
      for (let next = await replies.next(); !next.done; next = await replies.next()) {
        const r = JSON.parse(next.value) as { ready?: boolean; torch: string; threads: number };
        if (r.ready) {
          started = true;
          return new TorchReference(child, replies, r.torch, r.threads);
        }
      }
      return undefined;
    })();
    return Promise.race([ready, failed]);
  }

  /** PGD-10 images/s over `batches` batches. */
  pgd10(batches: number): Promise<number> {
    return this.ask(`pgd10 ${batches}`);
  }

  /** PGD-3 adversarial training images/s over `steps` steps. */
  trainSteps(steps: number): Promise<number> {
    return this.ask(`train ${steps}`);
  }

  close(): void {
    this.child.stdin.end('quit\n');
  }

  private async ask(request: string): Promise<number> {
    this.child.stdin.write(`${request}\n`);
    const next = await this.replies.next();
    if (next.done) throw new Error(`PyTorch stopped before answering ${request}`);
    const r = JSON.parse(next.value) as { images_per_s?: number; error?: string };
    if (r.images_per_s === undefined) throw new Error(`PyTorch: ${r.error ?? next.value}`);
    return r.images_per_s;
  }
}
