import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { readModelFile, type Network } from '../src/core';
import { runSequence, attackByName, AUTOATTACK_STANDARD } from '../src/engine/attacks/autoattack';
import { correct } from '../src/engine/attacks/geometry';
import { pgdExamples } from '../src/engine/train/inner-max';
import { OnnxClassifier } from '../src/engine/onnx/onnx-classifier';
import { OnnxTrainableClassifier } from '../src/engine/onnx/onnx-trainable-classifier';
import { onnxRuntimeProblem } from '../src/engine/onnx/load-onnxruntime';
import { selectTfjsBackend, type TfjsBackendChoice } from '../src/engine/tfjs/select-backend';
import { TfjsClassifier } from '../src/engine/tfjs/tfjs-classifier';
import { Random } from '../src/engine/util/random';
import { median } from './support/stats';
import { TorchReference } from './support/torch-reference';

// PGD-10 images/s, a PGD-3 adversarial training step's images/s and AutoAttack seconds per 100
// images for a small ResNet on 32x32 inputs (examples/cifar-small.arch.yaml, about ResNet-20's
// cost) on each available back end, and the same PGD-10 and training step in Debian's PyTorch on
// the same architecture, as ratios. One JSON line per task. Never run beside another heavy process.
// ONNX Runtime and PyTorch are measured turn about, ROUNDS times (support/torch-reference.ts);
// a task's ratio is the median of the rounds' ratios.

const ROOT = process.cwd();
const BATCH = 128;
/** The wasm heap addresses 2 GB: a training step keeps every activation, so it runs at half the batch. */
const TRAIN_BATCH = 64;
const EPS = 8 / 255;
const ROUNDS = 3;
/** PGD-10 batches and training steps timed per round on each side. */
const PGD_BATCHES = 2;
const TRAIN_STEPS = 8;
const THREADS = Math.min(2, os.cpus().length);
const SETTLE_MS = 1000;

function network(): Network {
  const file = path.join(ROOT, 'examples', 'cifar-small.arch.yaml');
  const net = readModelFile(file, fs.readFileSync(file, 'utf8')).network;
  if (!net) throw new Error('examples/cifar-small.arch.yaml did not read');
  return net;
}

async function measure(choice: TfjsBackendChoice, net: Network, torch: TorchReference | undefined): Promise<void> {
  let backend;
  try {
    backend = await selectTfjsBackend(choice);
  } catch (error) {
    console.log(`${choice}: not available (${(error as Error).message})`);
    return;
  }
  const model = new TfjsClassifier(net, {
    inputShape: { height: 32, width: 32, channels: 3 },
    numClasses: 10,
    seed: 0,
  });
  const random = new Random(1);
  // The plain cpu back end is two orders of magnitude slower: a smaller batch keeps the bench short.
  const batch = choice === 'cpu' ? 8 : BATCH;
  const x = Float32Array.from({ length: batch * 32 * 32 * 3 }, () => random.next());
  const labels = Int32Array.from({ length: batch }, () => random.integer(10));
  const threat = { norm: 'Linf' as const, eps: EPS };

  await pgdExamples(model, x, labels, batch, threat, 1, EPS / 4, random);
  const torchPgd = await torch?.pgd10(1);
  let start = performance.now();
  await pgdExamples(model, x, labels, batch, threat, 10, EPS / 4, random);
  const pgd10 = batch / ((performance.now() - start) / 1000);
  line({
    task: 'pgd10',
    backend: choice,
    device: backend.device,
    batch,
    images_per_s: pgd10,
    pytorch_images_per_s: torchPgd ?? null,
    ratio: torchPgd ? pgd10 / torchPgd : null,
  });

  const trainBatch = Math.min(batch, TRAIN_BATCH);
  const xt = x.subarray(0, trainBatch * 32 * 32 * 3);
  const yt = labels.subarray(0, trainBatch);
  const trainStep = async (): Promise<void> => {
    const xAdv = await pgdExamples(model, xt, yt, trainBatch, threat, 3, EPS / 2, random);
    await model.trainStep({ kind: 'ce', x: xAdv, labels: yt }, trainBatch, {
      learningRate: 0.01,
      momentum: 0.9,
      weightDecay: 5e-4,
      nesterov: false,
    });
  };
  await trainStep();
  const torchStep = await torch?.trainSteps(2);
  start = performance.now();
  await trainStep();
  const step = trainBatch / ((performance.now() - start) / 1000);
  line({
    task: 'train_step',
    backend: choice,
    device: backend.device,
    batch: trainBatch,
    images_per_s: step,
    pytorch_images_per_s: torchStep ?? null,
    ratio: torchStep ? step / torchStep : null,
  });

  // AutoAttack's full cost is what a robust model costs: every point survives every attack. With
  // labels set to the model's own predictions and a tiny eps, all four attacks run to the end.
  const n = choice === 'cpu' ? 2 : 10;
  const xs = x.subarray(0, n * 32 * 32 * 3);
  const logits = await model.logits(xs, n);
  const own = Int32Array.from({ length: n }, (_, i) => {
    const row = Array.from(logits.subarray(i * 10, (i + 1) * 10));
    return row.indexOf(Math.max(...row));
  });
  start = performance.now();
  const result = await runSequence(
    model,
    { x: xs, labels: own, n },
    { norm: 'Linf', eps: 1e-4 },
    AUTOATTACK_STANDARD.map((a) => attackByName(a)),
    { seed: 0 },
  );
  const seconds = (performance.now() - start) / 1000;
  const survivors = result.robust.reduce((s, v) => s + v, 0);
  line({
    task: 'autoattack',
    backend: choice,
    device: backend.device,
    images: n,
    robust_after: survivors,
    seconds_per_100_images: (seconds * 100) / n,
    clean_correct: correct(logits, own, n).reduce((s, v) => s + v, 0),
  });
  model.dispose();
}

/**
 * PGD-10 and the PGD-3 adversarial training step on ONNX Runtime, with the same weights a tfjs
 * model starts from, at the threads PyTorch gets, each taken turn about with PyTorch's.
 */
async function measureOnnx(net: Network, torch: TorchReference | undefined): Promise<void> {
  const problem = onnxRuntimeProblem();
  if (problem) {
    console.log(`onnxruntime: not available (${problem})`);
    return;
  }
  await selectTfjsBackend('cpu');
  const shape = { height: 32, width: 32, channels: 3 };
  const source = new TfjsClassifier(net, { inputShape: shape, numClasses: 10, seed: 0 });
  const state = await source.getState();
  source.dispose();
  const model = OnnxClassifier.create(net, state, { inputShape: shape, numClasses: 10, threads: THREADS });
  const random = new Random(1);
  const x = Float32Array.from({ length: BATCH * 32 * 32 * 3 }, () => random.next());
  const labels = Int32Array.from({ length: BATCH }, () => random.integer(10));
  const threat = { norm: 'Linf' as const, eps: EPS };
  await pgdExamples(model, x, labels, BATCH, threat, 1, EPS / 4, random);
  const pgd10 = await turnAbout(torch && (() => torch.pgd10(PGD_BATCHES)), async () => {
    const start = performance.now();
    for (let i = 0; i < PGD_BATCHES; i++) await pgdExamples(model, x, labels, BATCH, threat, 10, EPS / 4, random);
    return (PGD_BATCHES * BATCH) / ((performance.now() - start) / 1000);
  });
  line({ task: 'pgd10', backend: 'onnxruntime', device: 'cpu', batch: BATCH, ...pgd10 });
  await model.dispose();

  const trainable = await OnnxTrainableClassifier.create(net, state, {
    inputShape: shape,
    numClasses: 10,
    threads: THREADS,
  });
  const xt = x.subarray(0, TRAIN_BATCH * 32 * 32 * 3);
  const yt = labels.subarray(0, TRAIN_BATCH);
  const trainStep = async (): Promise<void> => {
    const xAdv = await pgdExamples(trainable, xt, yt, TRAIN_BATCH, threat, 3, EPS / 2, random);
    await trainable.trainStep({ kind: 'ce', x: xAdv, labels: yt }, TRAIN_BATCH, {
      learningRate: 0.01,
      momentum: 0.9,
      weightDecay: 5e-4,
      nesterov: false,
    });
  };
  // Two untimed steps (the first compiles the graphs, the second still runs slower in ORT);
  // bench_pgd.py warms PyTorch's the same way.
  await trainStep();
  await trainStep();
  const step = await turnAbout(torch && (() => torch.trainSteps(TRAIN_STEPS)), async () => {
    const t0 = performance.now();
    for (let i = 0; i < TRAIN_STEPS; i++) await trainStep();
    return (TRAIN_STEPS * TRAIN_BATCH) / ((performance.now() - t0) / 1000);
  });
  line({ task: 'train_step', backend: 'onnxruntime', device: 'cpu', batch: TRAIN_BATCH, ...step });
  trainable.dispose();
}

/**
 * ROUNDS measurements of the engine and of PyTorch, alternating which goes first, with a pause
 * before each (PyTorch's OpenMP workers and ORT's pool spin a while after their work, taking a
 * core from whoever runs next): the medians of each side and of the rounds' ratios.
 */
async function turnAbout(
  reference: (() => Promise<number>) | undefined,
  engine: () => Promise<number>,
): Promise<Record<string, number | number[] | null>> {
  const ours: number[] = [];
  const theirs: number[] = [];
  const settle = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
  for (let round = 0; round < ROUNDS; round++) {
    if (reference && round % 2 === 0) {
      await settle();
      theirs.push(await reference());
    }
    await settle();
    ours.push(await engine());
    if (reference && round % 2 === 1) {
      await settle();
      theirs.push(await reference());
    }
  }
  const measured = reference !== undefined;
  const ratios = theirs.map((t, i) => (ours[i] as number) / t);
  return {
    images_per_s: median(ours),
    pytorch_images_per_s: measured ? median(theirs) : null,
    ratio: measured ? median(ratios) : null,
    rounds: ours,
    pytorch_rounds: measured ? theirs : null,
    round_ratios: measured ? ratios : null,
  };
}

function line(record: Record<string, unknown>): void {
  console.log(
    JSON.stringify(record, (_, v: unknown) =>
      typeof v === 'number' && !Number.isInteger(v) ? Number(v.toPrecision(4)) : v,
    ),
  );
}

async function main(): Promise<void> {
  const net = network();
  const torch = await TorchReference.start(ROOT, net, { batch: BATCH, trainBatch: TRAIN_BATCH, threads: THREADS });
  if (torch)
    console.log(
      `PyTorch ${torch.version}, ${torch.threads} threads, measured turn about with each ` +
        `back end (PGD-10 batch ${BATCH}, training batch ${TRAIN_BATCH})`,
    );
  try {
    const only = process.argv[2] as TfjsBackendChoice | 'onnxruntime' | undefined;
    if (only === undefined || only === 'onnxruntime') await measureOnnx(net, torch);
    if (only === 'onnxruntime') return;
    for (const choice of only ? [only] : (['tfjs-node-gpu', 'tfjs-node', 'wasm', 'cpu'] as const))
      await measure(choice, net, torch);
  } finally {
    torch?.close();
  }
}

void main();
