import type { Diagnostic, ParamsReport } from '../core';
import type { AttackName } from './attacks/autoattack';
import { AUTOATTACK_VERSIONS } from './attacks/version-names';
import type { EvalRunOptions } from './run/execute-eval';
import type { TrainRunOptions } from './run/execute-train';
import type { RunMessage } from './run/run-messages';
import type { EvalBackendChoice } from './run/backend-choice';
import type { TfjsBackendChoice } from './tfjs/select-backend';
import type { TrainMethod } from './train/train-config';
import type { ScheduleKind } from './train/schedule';

/**
 * The engine worker's message protocol. The worker runs in a child process (never in the
 * extension host); every message carries the id of the request it answers.
 */
export type EngineRequest =
  | {
      readonly id: number;
      readonly type: 'describe';
      /** Path used in diagnostics and to pick the front end. */
      readonly file: string;
      readonly text: string;
      readonly inputSize?: number;
    }
  | { readonly id: number; readonly type: 'train'; readonly options: TrainRunOptions }
  | { readonly id: number; readonly type: 'eval'; readonly options: EvalRunOptions }
  /** Stops the run started by request `target` after its current step; it keeps what it finished. */
  | { readonly id: number; readonly type: 'cancel'; readonly target: number };

export type EngineMessage =
  | { readonly id: number; readonly type: 'progress'; readonly fraction: number; readonly message: string }
  | { readonly id: number; readonly type: 'result'; readonly result: ParamsReport }
  /** A training or evaluation run's stream; it ends with a `result` or `error` run message. */
  | { readonly id: number; readonly type: 'run'; readonly message: RunMessage }
  | {
      readonly id: number;
      readonly type: 'error';
      readonly message: string;
      readonly diagnostics: readonly Diagnostic[];
    }
  /** A PyTorch training run handed to Slurm: the request ends here, the run goes on in its folder. */
  | {
      readonly id: number;
      readonly type: 'submitted';
      readonly runId: string;
      readonly runDir: string;
      readonly jobId: string;
    };

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const isString = (v: unknown): v is string => typeof v === 'string' && v.length > 0;
const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const optional = (v: unknown, check: (x: unknown) => boolean): boolean => v === undefined || check(v);
const oneOf =
  <T extends string>(choices: readonly T[]) =>
  (v: unknown): boolean =>
    typeof v === 'string' && (choices as readonly string[]).includes(v);

const BACKENDS: readonly TfjsBackendChoice[] = ['tfjs-node-gpu', 'tfjs-node', 'wasm', 'cpu'];
/** Both kinds of run take ONNX Runtime when asked (training on it is TrainRunOptions's 'onnxruntime'). */
const RUN_BACKENDS: readonly EvalBackendChoice[] = [...BACKENDS, 'onnxruntime'];
const ATTACKS: readonly AttackName[] = ['fgsm', 'pgd', 'apgd-ce', 'apgd-dlr', 'apgd-t', 'fab-t', 'square'];
const METHODS: readonly TrainMethod[] = ['standard', 'pgd', 'fast', 'trades'];
const SCHEDULES: readonly ScheduleKind[] = ['cosine', 'step', 'cyclic', 'constant'];

function isThreat(v: unknown): boolean {
  return isObject(v) && (v.norm === 'Linf' || v.norm === 'L2') && isNumber(v.eps) && v.eps > 0 && v.eps <= 1e3;
}

const SLURM_NAME = /^[A-Za-z0-9_.-]+$/;
const SLURM_TIME = /^[0-9:-]+$/;

/** PyTorch launches: counts in range, and Slurm words that go into a batch script unquoted-safe. */
function isTorchOptions(v: unknown): boolean {
  if (!isObject(v) || !isObject(v.launch)) return false;
  const l = v.launch;
  const count = (x: unknown, max: number): boolean => isNumber(x) && Number.isInteger(x) && x >= 1 && x <= max;
  if (!isString(l.python) || !count(l.nprocPerNode, 1024) || !count(l.nnodes, 1024)) return false;
  if (!oneOf(['auto', 'cpu', 'cuda'])(l.device) || typeof l.amp !== 'boolean' || typeof l.syncBatchNorm !== 'boolean')
    return false;
  if (!optional(l.rdzvEndpoint, isString)) return false;
  if (!optional(l.maxRestarts, (x) => isNumber(x) && Number.isInteger(x) && x >= 0)) return false;
  if (v.slurm === undefined) return true;
  const s = v.slurm;
  const name = (x: unknown): boolean => isString(x) && SLURM_NAME.test(x);
  return (
    isObject(s) &&
    optional(s.partition, name) &&
    optional(s.account, name) &&
    optional(s.time, (x) => isString(x) && SLURM_TIME.test(x)) &&
    optional(s.gpusPerNode, (x) => count(x, 1024))
  );
}

function isTrainOptions(v: unknown): v is TrainRunOptions {
  if (!isObject(v) || !isObject(v.config) || !isString(v.workspace) || !isString(v.data)) return false;
  if (!optional(v.resume, isString) && v.resume !== undefined) return false;
  if (!isString(v.modelFile) && v.resume === undefined) return false;
  if (!optional(v.modelName, isString) || !optional(v.backend, oneOf(RUN_BACKENDS))) return false;
  if (!optional(v.initWeights, isString) || !optional(v.torch, isTorchOptions)) return false;
  const c = v.config;
  if (!isThreat(c.threat) || !optional(c.method, oneOf(METHODS)) || !optional(c.schedule, oneOf(SCHEDULES)))
    return false;
  const numeric = [
    'epochs',
    'batchSize',
    'attackSteps',
    'attackStepSize',
    'tradesBeta',
    'learningRate',
    'momentum',
    'weightDecay',
    'epsRampEpochs',
    'evalSamples',
    'evalPgdSteps',
    'seed',
    'trainSamples',
  ];
  return (
    numeric.every((k) => optional(c[k], (x) => isNumber(x) && x >= 0)) &&
    optional(c.nesterov, (x) => typeof x === 'boolean')
  );
}

/** The torch back end's part of an evaluation: an interpreter, and an entry, device and normalisation if any. */
function isTorchEvalSource(v: unknown): boolean {
  if (!isObject(v) || !isString(v.python)) return false;
  if (!optional(v.entry, isString) || !optional(v.baseDir, isString)) return false;
  if (!optional(v.device, (x) => isString(x) && /^(cpu|cuda(:\d+)?)$/.test(x))) return false;
  if (!optional(v.untrained, (x) => typeof x === 'boolean')) return false;
  if (v.normalize === undefined) return true;
  const n = v.normalize;
  const numbers = (x: unknown): x is number[] => Array.isArray(x) && x.length > 0 && x.every(isNumber);
  return (
    isObject(n) && numbers(n.mean) && numbers(n.std) && n.mean.length === n.std.length && n.std.every((s) => s > 0)
  );
}

function isEvalOptions(v: unknown): v is EvalRunOptions {
  if (!isObject(v) || !isString(v.workspace) || !isString(v.data) || !isThreat(v.threat)) return false;
  if (!isString(v.modelFile) && !isString(v.weights)) return false;
  if (
    !optional(v.modelFile, isString) ||
    !optional(v.weights, isString) ||
    !optional(v.modelName, isString) ||
    !optional(v.backend, oneOf(RUN_BACKENDS))
  )
    return false;
  if (!Array.isArray(v.attacks) || v.attacks.length === 0 || !v.attacks.every(oneOf(ATTACKS))) return false;
  if (!optional(v.version, oneOf(AUTOATTACK_VERSIONS)) || !optional(v.torch, isTorchEvalSource)) return false;
  return (
    [v.samples, v.batchSize].every((x) => isNumber(x) && Number.isInteger(x) && x > 0) &&
    isNumber(v.seed) &&
    optional(v.pgdSteps, (x) => isNumber(x) && x > 0)
  );
}

/** Requests come from another process: check their shape before acting on them. */
export function parseEngineRequest(value: unknown): EngineRequest | undefined {
  if (!isObject(value)) return undefined;
  const v = value;
  if (typeof v.id !== 'number' || !Number.isInteger(v.id)) return undefined;
  switch (v.type) {
    case 'describe':
      if (typeof v.file !== 'string' || typeof v.text !== 'string') return undefined;
      if (
        v.inputSize !== undefined &&
        !(typeof v.inputSize === 'number' && Number.isInteger(v.inputSize) && v.inputSize > 0)
      )
        return undefined;
      return {
        id: v.id,
        type: 'describe',
        file: v.file,
        text: v.text,
        ...(v.inputSize === undefined ? {} : { inputSize: v.inputSize }),
      };
    case 'train':
      return isTrainOptions(v.options) ? { id: v.id, type: 'train', options: v.options } : undefined;
    case 'eval':
      return isEvalOptions(v.options) ? { id: v.id, type: 'eval', options: v.options } : undefined;
    case 'cancel':
      return typeof v.target === 'number' ? { id: v.id, type: 'cancel', target: v.target } : undefined;
    default:
      return undefined;
  }
}
