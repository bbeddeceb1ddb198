import * as fs from 'node:fs';
import type { ThreatModel } from '../attacks/attack';
import { correct } from '../attacks/geometry';
import { fgsm, pgd } from '../attacks/pgd';
import { batchOf, shuffledOrder, take, type Dataset } from '../data/dataset';
import { correctness, fraction } from '../evaluate/accuracy';
import type { TrainableClassifier, TrainObjective } from '../model/classifier';
import { cancellationCheckpoint, RunCancelled } from '../util/cancellation';
import { Random } from '../util/random';
import { writeCheckpoint } from './checkpoint';
import { fastExamples, pgdExamples, tradesExamples } from './inner-max';
import { catastrophicOverfitting } from './overfitting';
import { learningRateAt } from './schedule';
import { innerStepSize, type TrainConfig } from './train-config';
import { firstNonFinite, loadState, readTrainingCheckpoint, type TrainingCheckpointMeta } from './training-checkpoint';

export interface EpochMetrics {
  readonly epoch: number;
  readonly trainLoss: number;
  /** Accuracy on the examples trained on (adversarial ones for adversarial training). */
  readonly trainAccuracy: number;
  readonly learningRate: number;
  readonly eps: number;
  readonly cleanAccuracy: number;
  readonly fgsmAccuracy: number;
  readonly pgdAccuracy: number;
  readonly seconds: number;
}

export interface StepProgress {
  readonly epoch: number;
  readonly epochs: number;
  readonly step: number;
  readonly steps: number;
  readonly loss: number;
  readonly imagesPerSecond: number;
  readonly etaSeconds: number;
}

export interface TrainEvents {
  progress?(p: StepProgress): void;
  epoch?(m: EpochMetrics): void;
  checkpoint?(file: string, epoch: number): void;
}

export type TrainStatus = 'completed' | 'cancelled' | 'diverged' | 'catastrophic-overfitting';

export interface TrainOutcome {
  readonly status: TrainStatus;
  readonly history: readonly EpochMetrics[];
  readonly message?: string;
}

export interface TrainOptions {
  /** Written after every epoch; read back by `resume`. */
  readonly checkpointFile: string;
  readonly resume: boolean;
  readonly isCancelled: () => boolean;
  readonly events?: TrainEvents;
}

/**
 * Trains `model` on `data.train`, evaluating clean, FGSM and PGD accuracy on part of `data.test`
 * after every epoch. The order of examples and every random start depend only on the seed, the
 * epoch and the step, so a run resumed from an epoch's checkpoint continues exactly as an
 * unbroken run would.
 */
export async function train(
  model: TrainableClassifier,
  data: { train: Dataset; test: Dataset },
  config: TrainConfig,
  options: TrainOptions,
): Promise<TrainOutcome> {
  const history: EpochMetrics[] = [];
  let startEpoch = 0;
  if (options.resume && fs.existsSync(options.checkpointFile)) {
    const { state, meta } = readTrainingCheckpoint(options.checkpointFile, config.epochs);
    const mismatch = configMismatch(meta.config, config);
    if (mismatch) throw new Error(`cannot resume: the checkpoint was trained with ${mismatch}`);
    const broken = firstNonFinite(state);
    if (broken) {
      throw new Error(`cannot resume: ${options.checkpointFile} holds a weight that is not a number (${broken})`);
    }
    await loadState(model, state, options.checkpointFile);
    history.push(...meta.history);
    startEpoch = meta.epochsDone;
  }
  const trainSet = config.trainSamples !== undefined ? take(data.train, config.trainSamples) : data.train;
  const evalSet = take(data.test, config.evalSamples);
  const stepsPerEpoch = Math.ceil(trainSet.n / config.batchSize);
  const stopIfCancelled = cancellationCheckpoint(options.isCancelled);
  const started = Date.now();
  let imagesDone = 0;

  for (let epoch = startEpoch; epoch < config.epochs; epoch++) {
    const epochStart = Date.now();
    const order = shuffledOrder(trainSet.n, mix(config.seed, epoch, 0x5eed));
    const eps =
      config.epsRampEpochs > 0
        ? config.threat.eps * Math.min(1, (epoch + 1) / config.epsRampEpochs)
        : config.threat.eps;
    const threat: ThreatModel = { norm: config.threat.norm, eps };
    let lossSum = 0;
    let correctSum = 0;
    let seen = 0;
    let lr = 0;
    try {
      for (let step = 0; step < stepsPerEpoch; step++) {
        stopIfCancelled();
        const idx = order.subarray(step * config.batchSize, Math.min(trainSet.n, (step + 1) * config.batchSize));
        const batch = batchOf(trainSet, idx);
        const random = new Random(mix(config.seed, epoch, step));
        const objective = await objectiveFor(model, batch, threat, config, random);
        lr = learningRateAt(
          { kind: config.schedule, maxLearningRate: config.learningRate, epochs: config.epochs },
          epoch + step / stepsPerEpoch,
        );
        const result = await model.trainStep(objective, batch.n, {
          learningRate: lr,
          momentum: config.momentum,
          weightDecay: config.weightDecay,
          nesterov: config.nesterov,
        });
        if (!Number.isFinite(result.loss)) {
          const last =
            epoch === 0 ? 'no epoch finished, so there is no checkpoint' : `the checkpoint of epoch ${epoch} is kept`;
          return {
            status: 'diverged',
            history,
            message:
              `the training loss became ${result.loss} at epoch ${epoch + 1}, step ` +
              `${step + 1} (learning rate ${lr.toPrecision(3)}); ${last}. Lower the learning ` +
              `rate or check the data.`,
          };
        }
        lossSum += result.loss * batch.n;
        correctSum += sum(correct(result.logits, batch.labels, batch.n));
        seen += batch.n;
        imagesDone += batch.n;
        const elapsed = (Date.now() - started) / 1000;
        const rate = imagesDone / Math.max(elapsed, 1e-3);
        const remaining = (config.epochs - epoch - 1) * trainSet.n + (trainSet.n - seen);
        options.events?.progress?.({
          epoch: epoch + 1,
          epochs: config.epochs,
          step: step + 1,
          steps: stepsPerEpoch,
          loss: result.loss,
          imagesPerSecond: rate,
          etaSeconds: remaining / rate,
        });
      }
      const context = { seed: mix(config.seed, epoch, 0xe7a1), checkpoint: stopIfCancelled };
      const fullThreat = config.threat;
      const batchSize = Math.min(config.batchSize, 256);
      const clean = fraction(await correctness(model, evalSet, undefined, fullThreat, batchSize, context));
      const fgsmAcc = fraction(await correctness(model, evalSet, fgsm, fullThreat, batchSize, context));
      const pgdAcc = fraction(
        await correctness(
          model,
          evalSet,
          (m, b, t, c) => pgd(m, b, t, c, { steps: config.evalPgdSteps, randomStart: true, restarts: 1, loss: 'ce' }),
          fullThreat,
          batchSize,
          context,
        ),
      );
      const metrics: EpochMetrics = {
        epoch: epoch + 1,
        trainLoss: lossSum / Math.max(1, seen),
        trainAccuracy: correctSum / Math.max(1, seen),
        learningRate: lr,
        eps,
        cleanAccuracy: clean,
        fgsmAccuracy: fgsmAcc,
        pgdAccuracy: pgdAcc,
        seconds: (Date.now() - epochStart) / 1000,
      };
      history.push(metrics);
      const meta: TrainingCheckpointMeta = { kind: 'robustness-lens-training', epochsDone: epoch + 1, history, config };
      writeCheckpoint(options.checkpointFile, await model.getState(), meta);
      options.events?.checkpoint?.(options.checkpointFile, epoch + 1);
      options.events?.epoch?.(metrics);
      if (config.method !== 'standard' && eps === config.threat.eps) {
        const co = catastrophicOverfitting(history.map((h) => ({ fgsm: h.fgsmAccuracy, pgd: h.pgdAccuracy })));
        if (co) return { status: 'catastrophic-overfitting', history, message: co };
      }
    } catch (error) {
      if (error instanceof RunCancelled) {
        const kept =
          history.length > 0
            ? `epoch ${history.length} is saved; resume continues from there`
            : 'no epoch had finished';
        return { status: 'cancelled', history, message: `cancelled during epoch ${epoch + 1}; ${kept}` };
      }
      throw error;
    }
  }
  // A run is completed only when every epoch's record is there; anything else is a bug to report.
  if (history.length !== config.epochs) {
    throw new Error(`training ended with ${history.length} of ${config.epochs} epochs recorded`);
  }
  return { status: 'completed', history };
}

async function objectiveFor(
  model: TrainableClassifier,
  batch: { x: Float32Array; labels: Int32Array; n: number },
  threat: ThreatModel,
  config: TrainConfig,
  random: Random,
): Promise<TrainObjective> {
  const step = innerStepSize(config, threat.eps);
  switch (config.method) {
    case 'standard':
      return { kind: 'ce', x: batch.x, labels: batch.labels };
    case 'pgd':
      return {
        kind: 'ce',
        x: await pgdExamples(model, batch.x, batch.labels, batch.n, threat, config.attackSteps, step, random),
        labels: batch.labels,
      };
    case 'fast':
      return {
        kind: 'ce',
        x: await fastExamples(model, batch.x, batch.labels, batch.n, threat, step, random),
        labels: batch.labels,
      };
    case 'trades':
      return {
        kind: 'trades',
        x: batch.x,
        xAdv: await tradesExamples(model, batch.x, batch.n, threat, config.attackSteps, step, random),
        labels: batch.labels,
        beta: config.tradesBeta,
      };
  }
}

/** The settings that must not change between a run and its resumption. */
function configMismatch(saved: TrainConfig | undefined, now: TrainConfig): string | undefined {
  if (!saved) return 'an unknown configuration';
  const keys: (keyof TrainConfig)[] = [
    'method',
    'batchSize',
    'attackSteps',
    'learningRate',
    'schedule',
    'momentum',
    'weightDecay',
    'seed',
    'epsRampEpochs',
    'tradesBeta',
    'trainSamples',
  ];
  for (const key of keys) {
    if (JSON.stringify(saved[key]) !== JSON.stringify(now[key]))
      return `${key} = ${JSON.stringify(saved[key])}, not ${JSON.stringify(now[key])}`;
  }
  if (saved.threat.norm !== now.threat.norm || saved.threat.eps !== now.threat.eps)
    return `eps ${saved.threat.eps} (${saved.threat.norm})`;
  return undefined;
}

/** A 32-bit seed from the run's seed and two counters. */
function mix(seed: number, a: number, b: number): number {
  let h = (seed >>> 0) ^ Math.imul(a + 0x9e3779b9, 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) ^ Math.imul(b + 0x7f4a7c15, 0x27d4eb2f);
  return (h ^ (h >>> 16)) >>> 0;
}

function sum(flags: Uint8Array): number {
  let s = 0;
  for (const f of flags) s += f;
  return s;
}
