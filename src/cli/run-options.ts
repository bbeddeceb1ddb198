import type { ThreatModel } from '../engine/attacks/attack';
import type { EvalBackendChoice } from '../engine/run/eval-backend';
import type { TrainBackendChoice } from '../engine/run/execute-train';
import type { TfjsBackendChoice } from '../engine/tfjs/select-backend';
import { UsageError } from './io';

/** `--eps 8/255`, `--eps 0.3`: a radius in [0,1] pixel units. */
export function epsOption(text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const m = /^\s*([0-9]*\.?[0-9]+)\s*(?:\/\s*([0-9]*\.?[0-9]+))?\s*$/.exec(text);
  const value = m ? Number(m[1]) / (m[2] ? Number(m[2]) : 1) : Number.NaN;
  if (!Number.isFinite(value) || value <= 0 || value > 1)
    throw new UsageError(`--eps must be a radius in (0, 1] such as 8/255 or 0.3, got "${text}"`);
  return value;
}

export function normOption(text: string | undefined): ThreatModel['norm'] {
  if (text === undefined) return 'Linf';
  const lower = text.toLowerCase();
  if (lower === 'linf' || lower === 'inf') return 'Linf';
  if (lower === 'l2') return 'L2';
  throw new UsageError(`--norm must be Linf or L2, got "${text}"`);
}

const BACKENDS: readonly TfjsBackendChoice[] = ['tfjs-node-gpu', 'tfjs-node', 'wasm', 'cpu'];

export function backendOption(text: string | undefined): TfjsBackendChoice | undefined {
  if (text === undefined || text === 'auto') return undefined;
  if ((BACKENDS as readonly string[]).includes(text)) return text as TfjsBackendChoice;
  throw new UsageError(`--backend must be auto, ${BACKENDS.join(', ')}; got "${text}"`);
}

/** Evaluation also runs on ONNX Runtime. */
export function evalBackendOption(text: string | undefined): EvalBackendChoice | undefined {
  if (text === 'onnxruntime') return text;
  if (text === undefined || text === 'auto' || (BACKENDS as readonly string[]).includes(text))
    return backendOption(text);
  throw new UsageError(`--backend must be auto, ${BACKENDS.join(', ')} or onnxruntime; got "${text}"`);
}

export function numberOption(name: string, text: string | undefined, min: number, max = Infinity): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!Number.isFinite(value) || value < min || value > max)
    throw new UsageError(`--${name} must be a number in [${min}, ${max}], got "${text}"`);
  return value;
}

export function choiceOption<T extends string>(
  name: string,
  text: string | undefined,
  choices: readonly T[],
): T | undefined {
  if (text === undefined) return undefined;
  if ((choices as readonly string[]).includes(text)) return text as T;
  throw new UsageError(`--${name} must be one of ${choices.join(', ')}; got "${text}"`);
}

/** Training also runs on ONNX Runtime (the same choices as evaluation). */
export function trainBackendOption(text: string | undefined): TrainBackendChoice | undefined {
  return evalBackendOption(text);
}
