import type { ThreatModel } from '../../../../src/engine/attacks/attack';
import type { ViewRun } from './run-store';

// config.json and environment.json arrive as validated but free-form JSON (the engine writes
// different fields for train and eval runs and may add more): read them field by field.

type Obj = Readonly<Record<string, unknown>>;

function obj(value: unknown): Obj | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Obj) : undefined;
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function num(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

export interface StageParams {
  readonly name: string;
  readonly params: number;
}

export interface ModelFacts {
  readonly name?: string;
  readonly file?: string;
  readonly params?: number;
  /** The training checkpoint an evaluation loaded; null when it ran the untrained model. */
  readonly weights?: string | null;
  /** Per-stage parameters, when the record has them (`model.stages` or `model.parts`). */
  readonly stages: readonly StageParams[];
  readonly budget?: number;
}

export function modelFacts(run: ViewRun): ModelFacts {
  const model = obj(obj(run.config)?.model);
  const stagesRaw = model?.stages ?? model?.parts;
  const stages = Array.isArray(stagesRaw)
    ? stagesRaw.flatMap((s): StageParams[] => {
        const o = obj(s);
        const name = text(o?.name);
        const params = num(o?.params);
        return name !== undefined && params !== undefined ? [{ name, params }] : [];
      })
    : [];
  const weights = model?.weights === null ? null : text(model?.weights);
  const facts: { -readonly [K in keyof ModelFacts]: ModelFacts[K] } = { stages };
  const name = text(model?.name);
  const file = text(model?.file);
  const params = num(model?.params);
  const budget = num(model?.budget);
  if (name !== undefined) facts.name = name;
  if (file !== undefined) facts.file = file;
  if (params !== undefined) facts.params = params;
  if (weights !== undefined) facts.weights = weights;
  if (budget !== undefined) facts.budget = budget;
  return facts;
}

/** The threat model: an evaluation's own, or the one a training run trained against. */
export function threatOf(run: ViewRun): ThreatModel | undefined {
  if (run.evaluation) return run.evaluation.threat;
  const config = obj(run.config);
  const threat = obj(config?.threat) ?? obj(obj(config?.config)?.threat);
  const norm = threat?.norm === 'Linf' || threat?.norm === 'L2' ? threat.norm : undefined;
  const eps = num(threat?.eps);
  return norm && eps !== undefined ? { norm, eps } : undefined;
}

/** The attacks an evaluation ran, in order. */
export function attacksOf(run: ViewRun): string[] {
  if (run.evaluation) return run.evaluation.attacks.map((a) => a.name);
  const attacks = obj(run.config)?.attacks;
  return Array.isArray(attacks) ? attacks.filter((a): a is string => typeof a === 'string') : [];
}

const AUTOATTACK = ['apgd-ce', 'apgd-t', 'fab-t', 'square'];

/** 'AutoAttack' for the standard sequence, else the attacks joined in order. */
export function attackSetLabel(attacks: readonly string[]): string {
  if (attacks.length === AUTOATTACK.length && attacks.every((a, i) => a === AUTOATTACK[i])) return 'AutoAttack';
  return attacks.map((a) => a.toUpperCase()).join(' + ');
}

/** Training method (pgd, fast, trades, standard) of a training run. */
export function methodOf(run: ViewRun): string | undefined {
  return text(obj(obj(run.config)?.config)?.method);
}

/** Planned epochs of a training run. */
export function plannedEpochs(run: ViewRun): number | undefined {
  return num(obj(obj(run.config)?.config)?.epochs);
}

/**
 * Which weights a run stands for, so evaluations of the same weights at different epsilons can
 * be drawn as one curve: a training run's folder, or the folder of the checkpoint an evaluation
 * loaded; for an untrained model its file.
 */
export function weightsKey(run: ViewRun): string | undefined {
  if (run.kind === 'train') return run.dir ? trimSlash(run.dir) : undefined;
  const model = modelFacts(run);
  if (typeof model.weights === 'string') return trimSlash(model.weights.replace(/[\\/][^\\/]+\.rlck$/, ''));
  return model.file !== undefined ? `untrained:${model.file}` : undefined;
}

function trimSlash(path: string): string {
  return path.replace(/[\\/]+$/, '');
}

export function startedAt(run: ViewRun): string | undefined {
  return text(obj(run.environment)?.startedAt);
}

/** Label and value pairs for the environment section, in a fixed order. */
export function environmentRows(run: ViewRun): [string, string][] {
  const env = obj(run.environment);
  if (!env) return [];
  const rows: [string, string][] = [];
  const add = (label: string, value: unknown): void => {
    if (typeof value === 'string' || typeof value === 'number') rows.push([label, String(value)]);
  };
  add('Back end', env.backend);
  add('Device', env.device);
  add('CPU', env.cpu);
  add('Cores', env.cores);
  add('Platform', env.platform);
  add('Node.js', env.node);
  add('Started', env.startedAt);
  if (Array.isArray(env.notes)) env.notes.forEach((n) => add('Note', n));
  return rows;
}

/** config.json flattened to dotted keys (model facts have their own section). */
export function configRows(run: ViewRun): [string, string][] {
  const rows: [string, string][] = [];
  const walk = (value: unknown, key: string): void => {
    const o = obj(value);
    if (o) {
      for (const [k, v] of Object.entries(o)) walk(v, key ? `${key}.${k}` : k);
    } else if (Array.isArray(value) && value.every((v) => typeof v !== 'object' || v === null)) {
      rows.push([key, value.map(String).join(', ')]);
    } else if (Array.isArray(value)) {
      value.forEach((v, i) => walk(v, `${key}[${i}]`));
    } else {
      rows.push([key, value === null ? 'none' : String(value)]);
    }
  };
  const config = obj(run.config);
  if (!config) return rows;
  for (const [k, v] of Object.entries(config)) {
    if (k !== 'model') walk(v, k);
  }
  return rows;
}
