import { EVAL_WARNING_CODES, type EvalWarning } from '../../../../src/engine/evaluate/eval-warnings';
import { isFields, str } from './guards';

/**
 * An evaluation's over-reporting warnings. A warning with a code this panel does not know is kept
 * out rather than failing the run: a later engine may add codes.
 */
export function parseWarnings(value: unknown): EvalWarning[] | undefined {
  if (!Array.isArray(value)) return undefined;
  const out: EvalWarning[] = [];
  for (const w of value.slice(0, 4 * EVAL_WARNING_CODES.length)) {
    if (!isFields(w)) continue;
    const code = EVAL_WARNING_CODES.find((c) => c === w.code);
    const message = str(w.message);
    const advice = str(w.advice);
    if (code && message !== undefined && advice !== undefined) out.push({ code, message, advice });
  }
  return out;
}
