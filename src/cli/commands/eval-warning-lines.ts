import type { EvalWarning } from '../../engine/evaluate/eval-warnings';

/** Each warning as two lines, before the figures, so that nobody reads the figures without them. */
export function warningLines(warnings: readonly EvalWarning[]): string[] {
  return warnings.flatMap((w) => [`  warning [${w.code}]: ${w.message}`, `    ${w.advice}`]);
}
