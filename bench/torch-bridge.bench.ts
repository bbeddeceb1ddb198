import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { readModelFile, type Network } from '../src/core';
import { networkJson } from '../src/engine/pytorch/network-json';
import { TorchClassifier } from '../src/engine/torch-backend/torch-classifier';
import { pgdExamples } from '../src/engine/train/inner-max';
import { Random } from '../src/engine/util/random';
import { median } from './support/stats';
import { TorchReference } from './support/torch-reference';

// The torch back end's bridge cost: PGD-10 written once in TypeScript, its gradients from the
// torch worker over pipes (src/engine/torch-backend), against the same PGD-10 written directly in
// PyTorch (python/bench_pgd.py --serve), on the same model (examples/cifar-small.arch.yaml rebuilt
// by python/ir_model.py), batch, threads and interpreter, measured turn about in the same minutes.
// Both processes live through the whole run and each gets one untimed warm-up round. Each round
// times both sides back to back, alternating which goes first; the ratio is the median of the
// rounds' own ratios (paired in time, so a machine whose speed drifts between rounds moves both).
// Prints one JSON line per round, then a summary; ratio = bridge images/s over direct images/s
// (goal: at least 0.9 on CPU). BRIDGE_ROUNDS sets the number of rounds (default 9).
// The worker keeps freed memory in the process (python/robustness_lens_worker/allocator.py; PyTorch
// as a plain script runs paid 80,000-200,000 page faults per gradient step here) and waits PASSIVE.
// So there are two direct sides: `ratio` against PyTorch with the worker's settings (the bridge's own
// cost), and `ratio_to_plain_pytorch` against PyTorch as a plain script runs in the bench's shell.

const ROOT = process.cwd();
const BATCH = 128;
const EPS = 8 / 255;
const ROUNDS = Math.max(1, Number(process.env.BRIDGE_ROUNDS ?? 9) || 9);
const PGD_BATCHES = 1;
/** Round trips of one image's logits, for the protocol's own cost per call. */
const SMALL_CALLS = 50;
const THREADS = Math.min(2, os.cpus().length);
const SETTLE_MS = 1000;
const PYTHON =
  process.env.ROBUSTNESS_LENS_PYTHON ?? (fs.existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3');

function network(): Network {
  const file = path.join(ROOT, 'examples', 'cifar-small.arch.yaml');
  const net = readModelFile(file, fs.readFileSync(file, 'utf8')).network;
  if (!net) throw new Error('examples/cifar-small.arch.yaml did not read');
  return net;
}

async function main(): Promise<void> {
  const net = network();
  const sizes = { batch: BATCH, trainBatch: 64, threads: THREADS };
  const direct = await TorchReference.start(ROOT, net, { ...sizes, workerSettings: true });
  if (!direct) return;
  const plain = await TorchReference.start(ROOT, net, sizes);
  if (!plain) {
    direct.close();
    return;
  }
  const shape = { height: 32, width: 32, channels: 3 };
  const bridge = await TorchClassifier.create({
    python: PYTHON,
    source: { kind: 'ir', network: networkJson(net) },
    inputShape: shape,
    device: 'cpu',
    threads: THREADS,
    seed: 0,
  });
  try {
    const random = new Random(1);
    const x = Float32Array.from({ length: BATCH * 32 * 32 * 3 }, () => random.next());
    const labels = Int32Array.from({ length: BATCH }, () => random.integer(10));
    const threat = { norm: 'Linf' as const, eps: EPS };
    // One untimed short run, as bench_pgd.py warms PyTorch.
    await pgdExamples(bridge, x, labels, BATCH, threat, 2, EPS / 4, random);
    const ours: number[] = [];
    const theirs: number[] = [];
    const plainRounds: number[] = [];
    const settle = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
    const measureOurs = async (): Promise<number> => {
      await settle();
      const start = performance.now();
      for (let i = 0; i < PGD_BATCHES; i++) await pgdExamples(bridge, x, labels, BATCH, threat, 10, EPS / 4, random);
      return (PGD_BATCHES * BATCH) / ((performance.now() - start) / 1000);
    };
    const measureTheirs = async (): Promise<number> => {
      await settle();
      return direct.pgd10(PGD_BATCHES);
    };
    const measurePlain = async (): Promise<number> => {
      await settle();
      return plain.pgd10(PGD_BATCHES);
    };
    // One untimed round each: every side's first PGD-10 at full length (allocator, oneDNN primitives).
    await measureTheirs();
    await measurePlain();
    await measureOurs();
    const sides: [number[], () => Promise<number>][] = [
      [theirs, measureTheirs],
      [ours, measureOurs],
      [plainRounds, measurePlain],
    ];
    for (let round = 0; round < ROUNDS; round++) {
      // Reversing the order every other round: the machine's speed drifts within minutes.
      for (const [rounds, measure] of round % 2 === 0 ? sides : [...sides].reverse()) rounds.push(await measure());
      // Each round as it ends: on a loaded machine a run may be stopped before the summary.
      console.log(
        JSON.stringify({
          round,
          images_per_s: ours[round],
          pytorch_images_per_s: theirs[round],
          plain_pytorch_images_per_s: plainRounds[round],
        }),
      );
    }
    const ratios = ours.map((o, i) => o / (theirs[i] as number));
    const plainRatios = ours.map((o, i) => o / (plainRounds[i] as number));
    const one = x.subarray(0, 32 * 32 * 3);
    const callMs: number[] = [];
    for (let i = 0; i < SMALL_CALLS; i++) {
      const start = performance.now();
      await bridge.logits(one, 1);
      callMs.push(performance.now() - start);
    }
    console.log(
      JSON.stringify({
        task: 'pgd10',
        backend: 'torch',
        device: bridge.info.deviceName,
        batch: BATCH,
        threads: THREADS,
        // The worker and the `ratio` side wait PASSIVE unless one is set; plain PyTorch as the shell has it.
        omp_wait_policy: {
          bridge: process.env.OMP_WAIT_POLICY ?? 'PASSIVE',
          pytorch: process.env.OMP_WAIT_POLICY ?? 'PASSIVE',
          plain_pytorch: process.env.OMP_WAIT_POLICY ?? 'unset',
        },
        images_per_s: median(ours),
        pytorch_images_per_s: median(theirs),
        plain_pytorch_images_per_s: median(plainRounds),
        ratio: median(ratios),
        ratio_range: [Math.min(...ratios), Math.max(...ratios)],
        ratio_to_plain_pytorch: median(plainRatios),
        ratio_to_plain_pytorch_range: [Math.min(...plainRatios), Math.max(...plainRatios)],
        rounds: ours,
        pytorch_rounds: theirs,
        plain_pytorch_rounds: plainRounds,
        round_ratios: ratios,
        one_image_logits_ms: median(callMs),
      }),
    );
  } finally {
    await bridge.dispose();
    direct.close();
    plain.close();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
