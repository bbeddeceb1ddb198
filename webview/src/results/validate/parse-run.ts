import type { AttackName } from '../../../../src/engine/attacks/autoattack';
import type { ThreatModel } from '../../../../src/engine/attacks/attack';
import type { EvalResult } from '../../../../src/engine/run/eval-result';
import type { RunSummary } from '../../../../src/engine/run/run-messages';
import type { EpochMetrics, StepProgress } from '../../../../src/engine/train/train-loop';
import { parseWarnings } from './parse-warnings';
import { arrayOf, count, figure, finite, isFields, isRunId, LIMITS, share, str } from './guards';

// The engine's records (result.json, streamed metrics). Unknown fields are dropped rather than
// refused: the engine may add a field in a later version and the panel should still show the rest.

const ATTACKS = [
  'fgsm',
  'pgd',
  'apgd-ce',
  'apgd-dlr',
  'apgd-t',
  'fab-t',
  'square',
] as const satisfies readonly AttackName[];
// Fails to compile when the engine gains an attack this list lacks.
const everyAttackListed: [Exclude<AttackName, (typeof ATTACKS)[number]>] extends [never] ? true : false = true;
void everyAttackListed;

const STATUSES = [
  'completed',
  'cancelled',
  'diverged',
  'catastrophic-overfitting',
] as const satisfies readonly RunSummary['status'][];

function oneOf<T extends string>(value: unknown, allowed: readonly T[]): T | undefined {
  return allowed.find((a) => a === value);
}

export function parseEpochMetrics(value: unknown): EpochMetrics | undefined {
  if (!isFields(value)) return undefined;
  const epoch = count(value.epoch);
  const trainLoss = figure(value.trainLoss);
  const trainAccuracy = figure(value.trainAccuracy);
  const learningRate = figure(value.learningRate);
  const eps = finite(value.eps);
  const cleanAccuracy = figure(value.cleanAccuracy);
  const fgsmAccuracy = figure(value.fgsmAccuracy);
  const pgdAccuracy = figure(value.pgdAccuracy);
  const seconds = finite(value.seconds);
  if (
    epoch === undefined ||
    trainLoss === undefined ||
    trainAccuracy === undefined ||
    learningRate === undefined ||
    eps === undefined ||
    cleanAccuracy === undefined ||
    fgsmAccuracy === undefined ||
    pgdAccuracy === undefined ||
    seconds === undefined
  )
    return undefined;
  return { epoch, trainLoss, trainAccuracy, learningRate, eps, cleanAccuracy, fgsmAccuracy, pgdAccuracy, seconds };
}

export function parseStepProgress(value: unknown): StepProgress | undefined {
  if (!isFields(value)) return undefined;
  const epoch = count(value.epoch);
  const epochs = count(value.epochs);
  const step = count(value.step);
  const steps = count(value.steps);
  const loss = figure(value.loss);
  const imagesPerSecond = figure(value.imagesPerSecond);
  const etaSeconds = figure(value.etaSeconds);
  if (
    epoch === undefined ||
    epochs === undefined ||
    step === undefined ||
    steps === undefined ||
    loss === undefined ||
    imagesPerSecond === undefined ||
    etaSeconds === undefined
  )
    return undefined;
  return { epoch, epochs, step, steps, loss, imagesPerSecond, etaSeconds };
}

export function parseThreat(value: unknown): ThreatModel | undefined {
  if (!isFields(value)) return undefined;
  const norm = oneOf(value.norm, ['Linf', 'L2'] as const);
  const eps = finite(value.eps);
  return norm && eps !== undefined && eps >= 0 ? { norm, eps } : undefined;
}

function parseFlags(value: unknown): number[] | undefined {
  return arrayOf(value, LIMITS.samples, (v) => (v === 0 || v === 1 ? v : undefined));
}

export function parseEvalResult(value: unknown): EvalResult | undefined {
  if (!isFields(value)) return undefined;
  const threat = parseThreat(value.threat);
  const samples = count(value.samples);
  const cleanAccuracy = share(value.cleanAccuracy);
  const robustAccuracy = share(value.robustAccuracy);
  const seconds = finite(value.seconds);
  const attacks = arrayOf(value.attacks, ATTACKS.length * 4, (a) => {
    if (!isFields(a)) return undefined;
    const name = oneOf(a.name, ATTACKS);
    const robust = share(a.robustAccuracy);
    const secs = finite(a.seconds);
    return name && robust !== undefined && secs !== undefined
      ? { name, robustAccuracy: robust, seconds: secs }
      : undefined;
  });
  const per = isFields(value.perSample) ? value.perSample : undefined;
  const indices = per && arrayOf(per.indices, LIMITS.samples, count);
  const clean = per && parseFlags(per.clean);
  const robust = per && parseFlags(per.robust);
  if (
    !threat ||
    samples === undefined ||
    cleanAccuracy === undefined ||
    robustAccuracy === undefined ||
    seconds === undefined ||
    !attacks ||
    !indices ||
    !clean ||
    !robust ||
    clean.length !== indices.length ||
    robust.length !== indices.length
  )
    return undefined;
  const warnings = parseWarnings(value.warnings);
  const perSample = { indices, clean, robust };
  const extra = warnings ? { warnings } : {};
  return { threat, samples, cleanAccuracy, attacks, robustAccuracy, perSample, seconds, ...extra };
}

export function parseRunSummary(value: unknown): RunSummary | undefined {
  if (!isFields(value)) return undefined;
  const runId = value.runId;
  const runDir = str(value.runDir, LIMITS.path);
  const kind = oneOf(value.kind, ['train', 'eval'] as const);
  const status = oneOf(value.status, STATUSES);
  if (!isRunId(runId) || runDir === undefined || !kind || !status) return undefined;
  const message = value.message === undefined ? undefined : str(value.message);
  const history = value.history === undefined ? undefined : arrayOf(value.history, LIMITS.epochs, parseEpochMetrics);
  const evaluation = value.evaluation === undefined ? undefined : parseEvalResult(value.evaluation);
  if (
    (value.message !== undefined && message === undefined) ||
    (value.history !== undefined && !history) ||
    (value.evaluation !== undefined && !evaluation)
  )
    return undefined;
  return {
    runId,
    runDir,
    kind,
    status,
    ...(message !== undefined ? { message } : {}),
    ...(history ? { history } : {}),
    ...(evaluation ? { evaluation } : {}),
  };
}
