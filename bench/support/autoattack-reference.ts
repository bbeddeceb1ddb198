import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Network } from '../../src/core';
import type { ModelState } from '../../src/engine/model/classifier';
import { networkJson } from '../../src/engine/pytorch/network-json';
import type { InputNormalization } from '../../src/engine/tfjs/normalize-input';

export interface ReferenceRun {
  readonly torch: string;
  readonly threads: number;
  /** Seconds per attack, as python/bench_autoattack.py timed each attack's perturb calls. */
  readonly seconds: Record<string, number>;
  readonly total_s: number;
  readonly broken: Record<string, number>;
  readonly clean: number;
  readonly robust: number[];
  readonly max_linf: number;
}

export interface ReferenceWorkload {
  readonly network: Network;
  readonly state: ModelState;
  readonly normalization: InputNormalization | undefined;
  /** NHWC images in [0,1]. */
  readonly x: Float32Array;
  readonly labels: Int32Array;
  readonly shape: { readonly height: number; readonly width: number; readonly channels: number };
  readonly eps: number;
  readonly seed: number;
  /** Images per batch (AutoAttack's bs). */
  readonly batch: number;
}

/**
 * fra31/auto-attack (a checkout at `autoattackDir`) on the same weights, images, labels, eps and
 * threads, through python/bench_autoattack.py with Debian's PyTorch; the weights travel in the
 * engine's order and layouts, as python/ir_forward.py reads them. Undefined, with the reason
 * printed, when it cannot run.
 */
export function runReference(
  root: string,
  autoattackDir: string,
  work: ReferenceWorkload,
  threads: number,
): ReferenceRun | undefined {
  const python =
    process.env.ROBUSTNESS_LENS_PYTHON ?? (fs.existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rl-aa-bench-'));
  try {
    const chunks: Float32Array[] = [];
    let offset = 0;
    const push = (data: Float32Array): number => {
      chunks.push(data);
      offset += data.length;
      return offset - data.length;
    };
    const { height, width, channels } = work.shape;
    const manifest = {
      network: networkJson(work.network),
      ...(work.normalization ? { mean: work.normalization.mean, std: work.normalization.std } : {}),
      tensors: [...work.state.tensors.values()].map((t) => [t.shape, push(t.data)]),
      input: [work.labels.length, height, width, channels, push(work.x)],
      labels: Array.from(work.labels),
      eps: work.eps,
      seed: work.seed,
    };
    const all = new Float32Array(offset);
    let at = 0;
    for (const c of chunks) {
      all.set(c, at);
      at += c.length;
    }
    fs.writeFileSync(path.join(dir, 'data.bin'), new Uint8Array(all.buffer));
    fs.writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify(manifest));
    const args = [
      path.join(root, 'python', 'bench_autoattack.py'),
      path.join(dir, 'manifest.json'),
      path.join(dir, 'data.bin'),
      '--autoattack-dir',
      autoattackDir,
      '--threads',
      String(threads),
      '--batch',
      String(work.batch),
    ];
    // The reference's progress (one line per attack) shows on our stderr as it runs.
    const out = spawnSync(python, args, {
      encoding: 'utf8',
      maxBuffer: 64 << 20,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    if (out.status !== 0) {
      console.log(
        `reference AutoAttack: not measured (exit ` +
          `${out.status ?? out.signal}${out.error ? `: ${out.error.message}` : ''})`,
      );
      return undefined;
    }
    return JSON.parse(out.stdout.trim().split('\n').pop() ?? '{}') as ReferenceRun;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
