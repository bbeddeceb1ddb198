import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { readModelFile, type Network } from '../src/core';
import { autoAttackVersion } from '../src/engine/attacks/autoattack-versions';
import type { NamedAttack } from '../src/engine/attacks/autoattack';
import { argmax } from '../src/engine/attacks/geometry';
import { loadBundledMnist } from '../src/engine/data/bundled-mnist';
import type { Dataset } from '../src/engine/data/dataset';
import type { Classifier, ModelState } from '../src/engine/model/classifier';
import { readKerasGraph } from '../src/engine/onnx/keras-graph';
import { onnxRuntimeProblem } from '../src/engine/onnx/load-onnxruntime';
import { OnnxClassifier } from '../src/engine/onnx/onnx-classifier';
import { LayersClassifier } from '../src/engine/tfjs/layers-classifier';
import { KNOWN_NORMALIZATIONS } from '../src/engine/tfjs/normalize-input';
import { selectTfjsBackend } from '../src/engine/tfjs/select-backend';
import { TfjsClassifier } from '../src/engine/tfjs/tfjs-classifier';
import { readCheckpoint } from '../src/engine/train/checkpoint';
import { memoryFigures, resetPeak } from '../src/engine/util/memory-trace';
import { attackDataset } from '../src/engine/run/attack-loop';
import { Random } from '../src/engine/util/random';
import { runReference, type ReferenceRun } from './support/autoattack-reference';

// AutoAttack "standard" (Linf) seconds per 100 images, per attack, on ONNX Runtime, and, where
// AUTOATTACK_DIR names a checkout of fra31/auto-attack, the reference's seconds on the same
// weights, images, labels, eps and threads in the same run (Debian's PyTorch, python/bench_autoattack.py),
// with per-attack ratios (reference / ours) and both robust accuracies. Workloads:
// - robust-like: examples/mnist-small.arch.yaml with seeded non-trivial weights on the bundled test
//   digits, labelled with the model's own predictions, at a small eps, so most points survive and
//   every attack runs in full (the case an evaluation of a robust model spends its time in);
// - mnist-bundled: the bundled trained CNN (examples/tfjs/mnist-small/model.json) on the digits'
//   true labels. A TF.js model.json has no PyTorch export, so it runs on our side only.
// - trained: where AA_RUN names a run folder of `train examples/mnist-small.arch.yaml`, its weights on
//   the digits' true labels at AA_EPS_TRAINED (0.1), against the reference too: attacks break some
//   points and not others, so the per-image flags of both sides are compared on a real mix.
// Settings: AA_N (images, default 100), AA_BATCH (images per batch on both sides, default AA_N: one batch;
// AutoAttack's own scripts take 100 to 500), AA_THREADS (default min(2, cores)), AA_EPS_ROBUST (0.02),
// AA_EPS_MNIST (0.08), AA_RUN, AA_EPS_TRAINED, AA_WORKLOADS (default robust-like,mnist-bundled,trained),
// AUTOATTACK_DIR. Never run beside another heavy process. Each workload also reports our peak resident memory per
// attack (Linux VmHWM, reset before each attack) and the resident memory after the sequence.

const ROOT = process.cwd();
const N = Number(process.env.AA_N ?? 100);
const BATCH = Math.min(N, Number(process.env.AA_BATCH ?? N) || N);
const THREADS = Number(process.env.AA_THREADS ?? Math.min(2, os.cpus().length));
const EPS_ROBUST = Number(process.env.AA_EPS_ROBUST ?? 0.02);
const EPS_MNIST = Number(process.env.AA_EPS_MNIST ?? 0.08);
const EPS_TRAINED = Number(process.env.AA_EPS_TRAINED ?? 0.1);
const WORKLOADS = new Set((process.env.AA_WORKLOADS ?? 'robust-like,mnist-bundled,trained').split(','));
const SEED = 0;
const SHAPE = { height: 28, width: 28, channels: 1 };

interface OurRun {
  readonly seconds: Record<string, number>;
  readonly total_s: number;
  readonly robustAfter: Record<string, number>;
  readonly clean: number;
  readonly robust: Uint8Array;
  /** Per attack: the process's peak resident MiB while it ran (VmHWM, reset before it); Linux only. */
  readonly peakMiB: Record<string, number | null>;
  /** Resident MiB when the whole sequence has returned. */
  readonly rssAfterMiB: number;
}

async function ours(model: Classifier, x: Float32Array, labels: Int32Array, eps: number): Promise<OurRun> {
  const seconds: Record<string, number> = {};
  const peakMiB: Record<string, number | null> = {};
  const timed: NamedAttack[] = autoAttackVersion('standard').attacks.map((a) => ({
    name: a.name,
    run: async (m, b, t, c) => {
      const start = performance.now();
      const peakReset = resetPeak();
      try {
        return await a.run(m, b, t, c);
      } finally {
        seconds[a.name] = (seconds[a.name] ?? 0) + (performance.now() - start) / 1000;
        peakMiB[a.name] = peakReset ? (memoryFigures().peakMiB ?? null) : null;
      }
    },
  }));
  const start = performance.now();
  const n = labels.length;
  // The loop `eval` runs (batches of BATCH, as the reference's bs; the over-report checks around
  // them), so the figures are what a user's evaluation pays, not a copy of it.
  const data: Dataset = { name: 'bench', shape: SHAPE, numClasses: 10, images: x, labels, n };
  const options = { threat: { norm: 'Linf' as const, eps }, attacks: timed, batchSize: BATCH, seed: SEED };
  const { evaluation } = await attackDataset(
    model,
    data,
    { ...options, untrained: false, weightsSource: 'bench' },
    () => undefined,
    () => false,
  );
  const count = (share: number): number => Math.round(share * n);
  const robustAfter = Object.fromEntries(evaluation.attacks.map((a) => [a.name, count(a.robustAccuracy)]));
  const clean = count(evaluation.cleanAccuracy);
  const robust = Uint8Array.from(evaluation.perSample.robust);
  const total = (performance.now() - start) / 1000;
  return {
    seconds,
    total_s: total,
    robustAfter,
    clean,
    robust,
    peakMiB,
    rssAfterMiB: memoryFigures().rssMiB,
  };
}

function per100(seconds: number, n: number): number {
  return Number(((seconds * 100) / n).toFixed(2));
}

function report(workload: string, eps: number, n: number, our: OurRun, ref: ReferenceRun | undefined): void {
  const attacks = Object.keys(our.seconds);
  const rows = attacks.map((a) => {
    const r = ref?.seconds[a];
    return {
      attack: a,
      ours_s_per_100: per100(our.seconds[a] ?? 0, n),
      reference_s_per_100: r === undefined ? null : per100(r, n),
      ratio: r === undefined ? null : Number((r / (our.seconds[a] ?? Infinity)).toFixed(2)),
    };
  });
  const ourRobust = our.robust.reduce((s, v) => s + v, 0);
  const refRobust = ref ? ref.robust.reduce((s, v) => s + v, 0) : null;
  const differing = ref ? ref.robust.flatMap((v, i) => (v !== our.robust[i] ? [i] : [])) : null;
  const differ = differing ? differing.length : null;
  console.log(
    JSON.stringify({
      task: 'autoattack-standard',
      workload,
      n,
      batch: BATCH,
      eps,
      threads: THREADS,
      ours_total_s_per_100: per100(our.total_s, n),
      reference_total_s_per_100: ref ? per100(ref.total_s, n) : null,
      ratio_total: ref ? Number((ref.total_s / our.total_s).toFixed(2)) : null,
      ours_clean: our.clean,
      ours_robust_after: our.robustAfter,
      // Memory of this process (our side only: the reference runs in its own Python process).
      ours_peak_rss_mib: our.peakMiB,
      ours_rss_after_mib: our.rssAfterMiB,
      ours_robust_accuracy: ourRobust / n,
      reference_clean: ref?.clean ?? null,
      reference_robust_accuracy: refRobust === null ? null : refRobust / n,
      flags_differing: differ,
      // Image indices (first 50) whose final robust flag differs: each side draws its own random starts.
      differing_images: differing?.slice(0, 50) ?? null,
      reference_torch: ref?.torch ?? null,
    }),
  );
  console.table(rows);
}

function digits(): { x: Float32Array; labels: Int32Array } {
  const test = loadBundledMnist(path.join(ROOT, 'dist-test', 'data', 'mnist-bundled')).test;
  const size = test.images.length / test.n;
  if (N > test.n) throw new Error(`AA_N=${N}: only ${test.n} bundled test digits`);
  return { x: test.images.slice(0, N * size), labels: test.labels.slice(0, N) };
}

/** Seeded weights moved off their initial values (BN statistics too), as the PyTorch parity test does. */
async function seededState(network: Network): Promise<ModelState> {
  const init = new TfjsClassifier(network, {
    inputShape: SHAPE,
    numClasses: 10,
    seed: 5,
    normalization: KNOWN_NORMALIZATIONS.mnist,
  });
  try {
    const random = new Random(11);
    const state = await init.getState();
    const tensors = new Map(
      [...state.tensors].map(([name, t]) => [
        name,
        {
          shape: t.shape,
          data: Float32Array.from(t.data, (v) =>
            name.endsWith('running_var') ? 0.5 + random.next() : v + 0.05 * random.normal(),
          ),
        },
      ]),
    );
    return { tensors };
  } finally {
    init.dispose();
  }
}

function mnistSmall(): Network {
  const file = path.join(ROOT, 'examples', 'mnist-small.arch.yaml');
  const network = readModelFile(file, fs.readFileSync(file, 'utf8')).network;
  if (!network) throw new Error('examples/mnist-small.arch.yaml did not read');
  return network;
}

/** The model's weights only (a checkpoint also holds optimiser buffers), named as the engine names them. */
async function trainedState(network: Network, run: string): Promise<ModelState> {
  const saved = readCheckpoint(path.join(run, 'checkpoint.rlck')).state;
  const names = [...(await seededState(network)).tensors.keys()];
  const missing = names.filter((n) => !saved.tensors.has(n));
  if (missing.length > 0) throw new Error(`${run}: not a run of examples/mnist-small.arch.yaml (no ${missing[0]})`);
  return { tensors: new Map(names.map((n) => [n, saved.tensors.get(n)!])) };
}

/** Ours, then the reference on the same weights, images, labels and eps. `ownLabels`: the model's predictions. */
async function againstReference(
  workload: string,
  network: Network,
  state: ModelState,
  eps: number,
  ownLabels: boolean,
): Promise<void> {
  const normalization = KNOWN_NORMALIZATIONS.mnist;
  const model = OnnxClassifier.create(network, state, {
    inputShape: SHAPE,
    numClasses: 10,
    threads: THREADS,
    ...(normalization ? { normalization } : {}),
  });
  try {
    const { x, labels: truth } = digits();
    const logits = await model.logits(x, N);
    const labels = ownLabels ? Int32Array.from({ length: N }, (_, i) => argmax(logits, i * 10, 10)) : truth;
    const our = await ours(model, x, labels, eps);
    console.error(`${workload}: ours ${our.total_s.toFixed(1)} s ${JSON.stringify(our.seconds)}; now the reference`);
    const dir = process.env.AUTOATTACK_DIR;
    const ref = dir
      ? runReference(
          ROOT,
          dir,
          { network, state, normalization, x, labels, shape: SHAPE, eps, seed: SEED, batch: BATCH },
          THREADS,
        )
      : undefined;
    if (!dir) console.log('reference AutoAttack: not measured (set AUTOATTACK_DIR to a checkout of fra31/auto-attack)');
    report(workload, eps, N, our, ref);
  } finally {
    await model.dispose();
  }
}

async function robustLike(): Promise<void> {
  const network = mnistSmall();
  await againstReference(
    'robust-like (examples/mnist-small.arch.yaml, seeded weights)',
    network,
    await seededState(network),
    EPS_ROBUST,
    true,
  );
}

async function trained(run: string): Promise<void> {
  const network = mnistSmall();
  const workload = `trained (examples/mnist-small.arch.yaml, weights of ${path.basename(run)}, true labels)`;
  await againstReference(workload, network, await trainedState(network, run), EPS_TRAINED, false);
}

async function bundledMnist(): Promise<void> {
  const file = path.join(ROOT, 'examples', 'tfjs', 'mnist-small', 'model.json');
  const layers = await LayersClassifier.load(file);
  const model = OnnxClassifier.fromKerasGraph(await readKerasGraph(file, await layers.getState()), {
    inputShape: SHAPE,
    numClasses: 10,
    threads: THREADS,
  });
  try {
    const { x, labels } = digits();
    report(
      'mnist-bundled (examples/tfjs/mnist-small, ours only: no PyTorch export of a model.json)',
      EPS_MNIST,
      N,
      await ours(model, x, labels, EPS_MNIST),
      undefined,
    );
  } finally {
    await model.dispose();
    layers.dispose();
  }
}

async function main(): Promise<void> {
  const problem = onnxRuntimeProblem();
  if (problem) {
    console.log(`autoattack: not measured (${problem})`);
    return;
  }
  await selectTfjsBackend('cpu');
  if (WORKLOADS.has('robust-like')) await robustLike();
  if (WORKLOADS.has('mnist-bundled')) await bundledMnist();
  const run = process.env.AA_RUN;
  if (WORKLOADS.has('trained')) {
    if (run) await trained(path.resolve(run));
    else console.log('trained workload: not measured (set AA_RUN to a run folder of examples/mnist-small.arch.yaml)');
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
