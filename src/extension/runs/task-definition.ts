import * as path from 'node:path';
import type { TrainMethod } from '../../engine/train/train-config';
import type { ScheduleKind } from '../../engine/train/schedule';
import { AUTOATTACK_VERSIONS } from '../../engine/attacks/version-names';
import { VERSION_ATTACKS } from './autoattack-choice';
import {
  BACKEND_SETTINGS,
  defaultEps,
  evalRequest,
  parseAttacks,
  parseEps,
  trainRequest,
  type BackendSetting,
  type Parsed,
  type RunRequest,
} from './run-request';

/** The task type users write in tasks.json (declared under taskDefinitions in package.json). */
export const TASK_TYPE = 'robustness-lens';

/** Where a task's relative paths point and what the settings default to. */
export interface TaskContext {
  readonly workspace: string;
  readonly defaultData: string;
  readonly defaultEps?: string;
  readonly backend: BackendSetting;
  readonly evalSamples: number;
  readonly trainEpochs: number;
}

type Json = Record<string, unknown>;

const METHODS: readonly TrainMethod[] = ['pgd', 'fast', 'trades', 'standard'];
const SCHEDULES: readonly ScheduleKind[] = ['cosine', 'step', 'cyclic', 'constant'];

/**
 * Reads a `robustness-lens` task from tasks.json. The file is hand-written, so every field is
 * checked and named in the error; paths are relative to the workspace folder.
 */
export function parseTaskDefinition(definition: Json, context: TaskContext): Parsed<RunRequest> {
  const errors: string[] = [];
  const str = (key: string): string | undefined => {
    const v = definition[key];
    if (v === undefined) return undefined;
    if (typeof v === 'string' && v.trim() !== '') return v.trim();
    errors.push(`"${key}" must be a non-empty string`);
    return undefined;
  };
  const int = (key: string, min = 1): number | undefined => {
    const v = definition[key];
    if (v === undefined) return undefined;
    if (typeof v === 'number' && Number.isInteger(v) && v >= min) return v;
    errors.push(`"${key}" must be an integer of at least ${min}`);
    return undefined;
  };
  const num = (key: string, min: number, max: number): number | undefined => {
    const v = definition[key];
    if (v === undefined) return undefined;
    if (typeof v === 'number' && Number.isFinite(v) && v >= min && v <= max) return v;
    errors.push(`"${key}" must be a number in [${min}, ${max}]`);
    return undefined;
  };
  const choice = <T extends string>(key: string, choices: readonly T[]): T | undefined => {
    const v = definition[key];
    if (v === undefined) return undefined;
    if (typeof v === 'string' && (choices as readonly string[]).includes(v)) return v as T;
    errors.push(`"${key}" must be one of ${choices.join(', ')}`);
    return undefined;
  };
  const resolve = (p: string): string => (path.isAbsolute(p) ? p : path.join(context.workspace, p));

  const command = choice('command', ['train', 'eval'] as const);
  if (definition.command === undefined) errors.push('"command" is required: "train" or "eval"');
  const model = str('model');
  const weights = str('weights');
  if (!model && !(command === 'eval' && weights))
    errors.push('"model" is required: the model file to run (relative to the workspace folder)');
  const dataText = str('data') ?? context.defaultData;
  const data = dataText === 'mnist' ? 'mnist' : resolve(dataText);
  const epsValue = definition.eps ?? context.defaultEps;
  const eps = epsValue === undefined || epsValue === '' ? ok(defaultEps(data)) : parseEps(epsValue);
  if (!eps.ok) errors.push(eps.error);
  const norm = choice('norm', ['Linf', 'L2'] as const);
  const backend = choice('backend', BACKEND_SETTINGS) ?? context.backend;
  const modelName = str('modelName');
  const seed = int('seed', 0);
  const base = {
    modelFile: model ? resolve(model) : '',
    workspace: context.workspace,
    data,
    eps: eps.ok ? eps.value : 0,
    backend,
    ...(modelName ? { modelName } : {}),
    ...(norm ? { norm } : {}),
  };
  if (command === 'eval') {
    // As the CLI's --version: a version fixes the attacks, so it comes instead of "attacks".
    const version = choice('version', AUTOATTACK_VERSIONS);
    if (version && definition.attacks !== undefined)
      errors.push('"version" fixes the attacks: give "version" or "attacks", not both');
    const attacks = version ? ok([...VERSION_ATTACKS[version]]) : parseAttacks(definition.attacks);
    if (!attacks.ok) errors.push(attacks.error);
    const samples = int('n') ?? context.evalSamples;
    const batchSize = int('batchSize');
    const pgdSteps = int('pgdSteps');
    if (errors.length > 0) return { ok: false, error: errors.join('; ') };
    return {
      ok: true,
      value: evalRequest({
        ...base,
        attacks: attacks.ok ? attacks.value : [],
        samples,
        ...(batchSize ? { batchSize } : {}),
        ...(pgdSteps ? { pgdSteps } : {}),
        ...(version ? { version } : {}),
        ...(seed !== undefined ? { seed } : {}),
        ...(weights ? { weights: resolve(weights) } : {}),
      }),
    };
  }
  const config = {
    ...defined('method', choice('method', METHODS)),
    ...defined('schedule', choice('schedule', SCHEDULES)),
    ...defined('epochs', int('epochs') ?? context.trainEpochs),
    ...defined('batchSize', int('batchSize')),
    ...defined('attackSteps', int('attackSteps')),
    ...defined('learningRate', num('lr', 0, 10)),
    ...defined('epsRampEpochs', num('epsRamp', 0, 1e6)),
    ...defined('trainSamples', int('trainSamples')),
    ...defined('evalSamples', int('evalSamples')),
    ...defined('seed', seed),
  };
  if (errors.length > 0) return { ok: false, error: errors.join('; ') };
  return { ok: true, value: trainRequest({ ...base, config }) };
}

function ok<T>(value: T): Parsed<T> {
  return { ok: true, value };
}

function defined<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

/** A task's name in the Run Task list: "eval mnist-small.arch.yaml (fgsm,pgd)". */
export function taskName(request: RunRequest): string {
  const file = request.options.modelFile ? path.basename(request.options.modelFile) : 'weights';
  return request.kind === 'eval' ? `eval ${file}` : `train ${file}`;
}
