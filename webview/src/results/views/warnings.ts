import type { EvalWarning } from '../../../../src/engine/evaluate/eval-warnings';
import { el } from '../page/dom';

/** The evaluation's over-reporting warnings, above its figures, one short note each. */
export function warningNotes(warnings: readonly EvalWarning[]): HTMLElement[] {
  return warnings.map((w) => el('p', {
    className: 'alert',
    attrs: { role: 'note', 'data-warning': w.code },
    text: `${w.message}. ${w.advice}.`,
  }));
}
