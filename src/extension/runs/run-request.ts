import type { AttackName } from '../../engine/attacks/autoattack';
import type { AutoAttackVersion } from '../../engine/attacks/version-names';
import type { EvalRunOptions } from '../../engine/run/execute-eval';
import type { TrainRunOptions } from '../../engine/run/execute-train';

/**
 * What the editor asks the engine worker to do. Only types come from src/engine: importing its
 * values would bundle TensorFlow.js into the extension host.
 */
export type RunRequest =
  | { readonly kind: 'train'; readonly label: string; readonly options: TrainRunOptions }
  | { readonly kind: 'eval'; readonly label: string; readonly options: EvalRunOptions };

/** AutoAttack's "standard" sequence, as the engine runs it (kept in step with AUTOATTACK_STANDARD). */
export const AUTOATTACK: readonly AttackName[] = ['apgd-ce', 'apgd-t', 'fab-t', 'square'];
export const QUICK_ATTACKS: readonly AttackName[] = ['fgsm', 'pgd'];
const ATTACK_NAMES: readonly AttackName[] = ['fgsm', 'pgd', 'apgd-ce', 'apgd-t', 'fab-t', 'square'];
export const BACKEND_SETTINGS = ['auto', 'onnxruntime', 'wasm', 'cpu', 'tfjs-node', 'tfjs-node-gpu'] as const;
export type BackendSetting = (typeof BACKEND_SETTINGS)[number];

/** The CLI's defaults, so a run from the editor equals `robustness-lens eval` / `train` with no flags. */
export const EVAL_DEFAULTS = { samples: 1000, batchSize: 100, seed: 0 } as const;

/** The study's radius for the data: 0.3 on MNIST's [0,1] pixels, else CIFAR's 8/255. */
export function defaultEps(data: string): number {
  return data === 'mnist' ? 0.3 : 8 / 255;
}

export type Parsed<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: string };
const ok = <T>(value: T): Parsed<T> => ({ ok: true, value });
const fail = <T>(error: string): Parsed<T> => ({ ok: false, error });

/** `0.3`, `8/255` or a number: a radius in (0, 1] pixel units. */
export function parseEps(value: unknown): Parsed<number> {
  if (typeof value === 'number') {
    return Number.isFinite(value) && value > 0 && value <= 1 ? ok(value) : fail(`eps must be in (0, 1], got ${value}`);
  }
  if (typeof value !== 'string') return fail('eps must be a number such as 0.3 or a fraction such as "8/255"');
  const m = /^\s*([0-9]*\.?[0-9]+)\s*(?:\/\s*([0-9]*\.?[0-9]+))?\s*$/.exec(value);
  const eps = m ? Number(m[1]) / (m[2] ? Number(m[2]) : 1) : Number.NaN;
  return Number.isFinite(eps) && eps > 0 && eps <= 1
    ? ok(eps)
    : fail(`eps must be a radius in (0, 1] such as 8/255 or 0.3, got "${value}"`);
}

/** `autoattack`, `"fgsm,pgd"` or `["fgsm", "pgd"]`. */
export function parseAttacks(value: unknown): Parsed<AttackName[]> {
  if (value === undefined || value === 'autoattack') return ok([...AUTOATTACK]);
  const names = typeof value === 'string' ? value.split(',') : Array.isArray(value) ? value : undefined;
  if (!names || !names.every((n): n is string => typeof n === 'string'))
    return fail('attacks must be "autoattack" or a list of attack names');
  const cleaned = names.map((n) => n.trim().toLowerCase()).filter(Boolean);
  const unknown = cleaned.filter((n) => !(ATTACK_NAMES as readonly string[]).includes(n));
  if (unknown.length > 0)
    return fail(`unknown attack "${unknown[0]}"; choose autoattack or from ${ATTACK_NAMES.join(', ')}`);
  if (cleaned.length === 0) return fail('attacks is empty');
  return ok(cleaned as AttackName[]);
}

/** A back end both evaluation and training can run on (every setting is one). */
export function backendChoice(setting: BackendSetting | undefined): Exclude<BackendSetting, 'auto'> | undefined {
  return setting === undefined || setting === 'auto' ? undefined : setting;
}

/** What a person chose for one run; everything else takes the CLI's defaults. */
export interface RunChoices {
  readonly modelFile: string;
  readonly modelName?: string;
  readonly workspace: string;
  readonly data: string;
  readonly eps: number;
  readonly norm?: 'Linf' | 'L2';
  readonly backend?: BackendSetting;
}

export interface EvalChoices extends RunChoices {
  readonly attacks: readonly AttackName[];
  readonly samples?: number;
  readonly batchSize?: number;
  readonly seed?: number;
  readonly pgdSteps?: number;
  /** A training run folder whose weights to evaluate. */
  readonly weights?: string;
  /** AutoAttack's version, which fixes the attacks (the engine runs its list instead of `attacks`). */
  readonly version?: AutoAttackVersion;
}

export interface TrainChoices extends RunChoices {
  readonly config?: Omit<TrainRunOptions['config'], 'threat'>;
}

function modelLabel(c: RunChoices): string {
  return c.modelName ?? c.modelFile.split(/[\\/]/).pop() ?? c.modelFile;
}

export function evalRequest(c: EvalChoices): RunRequest {
  const backend = backendChoice(c.backend);
  const options: EvalRunOptions = {
    // An evaluation of a training run's weights may leave the model to the run's config.json.
    ...(c.modelFile ? { modelFile: c.modelFile } : {}),
    ...(c.modelName ? { modelName: c.modelName } : {}),
    ...(c.weights ? { weights: c.weights } : {}),
    ...(backend ? { backend } : {}),
    ...(c.pgdSteps ? { pgdSteps: c.pgdSteps } : {}),
    ...(c.version ? { version: c.version } : {}),
    data: c.data,
    workspace: c.workspace,
    threat: { norm: c.norm ?? 'Linf', eps: c.eps },
    attacks: [...c.attacks],
    samples: c.samples ?? EVAL_DEFAULTS.samples,
    batchSize: c.batchSize ?? EVAL_DEFAULTS.batchSize,
    seed: c.seed ?? EVAL_DEFAULTS.seed,
  };
  return { kind: 'eval', label: `Evaluating ${modelLabel(c)}`, options };
}

export function trainRequest(c: TrainChoices): RunRequest {
  const backend = backendChoice(c.backend);
  const options: TrainRunOptions = {
    modelFile: c.modelFile,
    ...(c.modelName ? { modelName: c.modelName } : {}),
    ...(backend ? { backend } : {}),
    data: c.data,
    workspace: c.workspace,
    config: { ...c.config, threat: { norm: c.norm ?? 'Linf', eps: c.eps } },
  };
  return { kind: 'train', label: `Training ${modelLabel(c)}`, options };
}
