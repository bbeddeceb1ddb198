import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { readModelFile, type Network } from '../src/core';
import { runSequence, attackByName, AUTOATTACK_STANDARD } from '../src/engine/attacks/autoattack';
import { correct } from '../src/engine/attacks/geometry';
import { pgdExamples } from '../src/engine/train/inner-max';
import { networkJson } from '../src/engine/pytorch/network-json';
import { OnnxClassifier } from '../src/engine/onnx/onnx-classifier';
import { OnnxTrainableClassifier } from '../src/engine/onnx/onnx-trainable-classifier';
import { onnxRuntimeProblem } from '../src/engine/onnx/load-onnxruntime';
import { selectTfjsBackend, type TfjsBackendChoice } from '../src/engine/tfjs/select-backend';
import { TfjsClassifier } from '../src/engine/tfjs/tfjs-classifier';
import { Random } from '../src/engine/util/random';

// PGD-10 images/s, a PGD-3 adversarial training step's images/s and AutoAttack seconds per 100
// images for a small ResNet on 32x32 inputs (examples/cifar-small.arch.yaml, about ResNet-20's
// cost) on each available back end, and the same PGD-10 and training step in Debian's PyTorch on
// the same architecture, as ratios. One JSON line per task. Never run beside another heavy process.

const ROOT = process.cwd();
const BATCH = 128;
/** The wasm heap addresses 2 GB: a training step keeps every activation, so it runs at half the batch. */
const TRAIN_BATCH = 64;
const EPS = 8 / 255;

function network(): Network {
  const file = path.join(ROOT, 'examples', 'cifar-small.arch.yaml');
  const net = readModelFile(file, fs.readFileSync(file, 'utf8')).network;
  if (!net) throw new Error('examples/cifar-small.arch.yaml did not read');
  return net;
}

function pytorch(net: Network): { pgd10: number; step: number; version: string } | undefined {
  const python = process.env.ROBUSTNESS_LENS_PYTHON ?? (fs.existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3');
  const json = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'rl-bench-')), 'network.json');
  fs.writeFileSync(json, JSON.stringify(networkJson(net)));
  const out = spawnSync(python, [path.join(ROOT, 'python', 'bench_pgd.py'), json, '--batch', String(BATCH), '--train-batch', String(TRAIN_BATCH), '--threads', String(Math.min(2, os.cpus().length))], { encoding: 'utf8', timeout: 600_000 });
  if (out.status !== 0) {
    console.log(`PyTorch: not measured (${(out.stderr || out.error?.message || '').trim().split('\n').pop() ?? 'no torch'})`);
    return undefined;
  }
  const r = JSON.parse(out.stdout.trim().split('\n').pop() ?? '{}') as { pgd10_images_per_s: number; train_step_images_per_s: number; torch: string };
  return { pgd10: r.pgd10_images_per_s, step: r.train_step_images_per_s, version: r.torch };
}

async function measure(choice: TfjsBackendChoice, net: Network, torch: ReturnType<typeof pytorch>): Promise<void> {
  let backend;
  try {
    backend = await selectTfjsBackend(choice);
  } catch (error) {
    console.log(`${choice}: not available (${(error as Error).message})`);
    return;
  }
  const model = new TfjsClassifier(net, { inputShape: { height: 32, width: 32, channels: 3 }, numClasses: 10, seed: 0 });
  const random = new Random(1);
  // The plain cpu back end is two orders of magnitude slower: a smaller batch keeps the bench short.
  const batch = choice === 'cpu' ? 8 : BATCH;
  const x = Float32Array.from({ length: batch * 32 * 32 * 3 }, () => random.next());
  const labels = Int32Array.from({ length: batch }, () => random.integer(10));
  const threat = { norm: 'Linf' as const, eps: EPS };

  await pgdExamples(model, x, labels, batch, threat, 1, EPS / 4, random);
  let start = performance.now();
  await pgdExamples(model, x, labels, batch, threat, 10, EPS / 4, random);
  const pgd10 = batch / ((performance.now() - start) / 1000);
  line({ task: 'pgd10', backend: choice, device: backend.device, batch, images_per_s: pgd10, pytorch_images_per_s: torch?.pgd10 ?? null, ratio: torch ? pgd10 / torch.pgd10 : null });

  const trainBatch = Math.min(batch, TRAIN_BATCH);
  const xt = x.subarray(0, trainBatch * 32 * 32 * 3);
  const yt = labels.subarray(0, trainBatch);
  const trainStep = async (): Promise<void> => {
    const xAdv = await pgdExamples(model, xt, yt, trainBatch, threat, 3, EPS / 2, random);
    await model.trainStep({ kind: 'ce', x: xAdv, labels: yt }, trainBatch, { learningRate: 0.01, momentum: 0.9, weightDecay: 5e-4, nesterov: false });
  };
  await trainStep();
  start = performance.now();
  await trainStep();
  const step = trainBatch / ((performance.now() - start) / 1000);
  line({ task: 'train_step', backend: choice, device: backend.device, batch: trainBatch, images_per_s: step, pytorch_images_per_s: torch?.step ?? null, ratio: torch ? step / torch.step : null });

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
  const result = await runSequence(model, { x: xs, labels: own, n }, { norm: 'Linf', eps: 1e-4 }, AUTOATTACK_STANDARD.map((a) => attackByName(a)), { seed: 0 });
  const seconds = (performance.now() - start) / 1000;
  const survivors = result.robust.reduce((s, v) => s + v, 0);
  line({ task: 'autoattack', backend: choice, device: backend.device, images: n, robust_after: survivors, seconds_per_100_images: seconds * 100 / n, clean_correct: correct(logits, own, n).reduce((s, v) => s + v, 0) });
  model.dispose();
}

/**
 * PGD-10 and the PGD-3 adversarial training step on ONNX Runtime, with the same weights a tfjs
 * model starts from, at the threads PyTorch gets.
 */
async function measureOnnx(net: Network, torch: ReturnType<typeof pytorch>): Promise<void> {
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
  const model = OnnxClassifier.create(net, state, { inputShape: shape, numClasses: 10, threads: Math.min(2, os.cpus().length) });
  const random = new Random(1);
  const x = Float32Array.from({ length: BATCH * 32 * 32 * 3 }, () => random.next());
  const labels = Int32Array.from({ length: BATCH }, () => random.integer(10));
  const threat = { norm: 'Linf' as const, eps: EPS };
  await pgdExamples(model, x, labels, BATCH, threat, 1, EPS / 4, random);
  const start = performance.now();
  await pgdExamples(model, x, labels, BATCH, threat, 10, EPS / 4, random);
  const pgd10 = BATCH / ((performance.now() - start) / 1000);
  line({ task: 'pgd10', backend: 'onnxruntime', device: 'cpu', batch: BATCH, images_per_s: pgd10, pytorch_images_per_s: torch?.pgd10 ?? null, ratio: torch ? pgd10 / torch.pgd10 : null });
  await model.dispose();

  const trainable = await OnnxTrainableClassifier.create(net, state, { inputShape: shape, numClasses: 10, threads: Math.min(2, os.cpus().length) });
  const xt = x.subarray(0, TRAIN_BATCH * 32 * 32 * 3);
  const yt = labels.subarray(0, TRAIN_BATCH);
  const trainStep = async (): Promise<void> => {
    const xAdv = await pgdExamples(trainable, xt, yt, TRAIN_BATCH, threat, 3, EPS / 2, random);
    await trainable.trainStep({ kind: 'ce', x: xAdv, labels: yt }, TRAIN_BATCH, { learningRate: 0.01, momentum: 0.9, weightDecay: 5e-4, nesterov: false });
  };
  // Two untimed steps (the first compiles the graphs, the second still runs slower in ORT), then
  // eight timed ones; bench_pgd.py treats PyTorch's steps the same way.
  await trainStep();
  await trainStep();
  const t0 = performance.now();
  for (let i = 0; i < 8; i++) await trainStep();
  const step = 8 * TRAIN_BATCH / ((performance.now() - t0) / 1000);
  line({ task: 'train_step', backend: 'onnxruntime', device: 'cpu', batch: TRAIN_BATCH, images_per_s: step, pytorch_images_per_s: torch?.step ?? null, ratio: torch ? step / torch.step : null });
  trainable.dispose();
}

function line(record: Record<string, unknown>): void {
  console.log(JSON.stringify(record, (_, v: unknown) => (typeof v === 'number' && !Number.isInteger(v) ? Number(v.toPrecision(4)) : v)));
}

async function main(): Promise<void> {
  const net = network();
  const torch = pytorch(net);
  if (torch) console.log(`PyTorch ${torch.version}, ${Math.min(2, os.cpus().length)} threads: PGD-10 ${torch.pgd10.toFixed(1)} images/s, PGD-3 training step ${torch.step.toFixed(1)} images/s (batch ${BATCH})`);
  const only = process.argv[2] as TfjsBackendChoice | 'onnxruntime' | undefined;
  if (only === undefined || only === 'onnxruntime') await measureOnnx(net, torch);
  if (only === 'onnxruntime') return;
  for (const choice of only ? [only] : (['tfjs-node-gpu', 'tfjs-node', 'wasm', 'cpu'] as const)) await measure(choice, net, torch);
}

void main();
