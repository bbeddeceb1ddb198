import { editorWarningText, type EvalWarning } from '../../../../src/engine/evaluate/eval-warnings';
import { el } from '../page/dom';

/** The evaluation's over-reporting warnings, above its figures, one short note each. */
export function warningNotes(warnings: readonly EvalWarning[]): HTMLElement[] {
  return warnings.map((w) => {
    // The engine's wording names CLI flags; the panel names the editor's commands.
    const { message, advice } = editorWarningText(w);
    const attrs = { role: 'note', 'data-warning': w.code };
    return el('p', { className: 'alert', attrs, text: `${message}. ${advice}.` });
  });
}
