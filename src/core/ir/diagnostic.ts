import type { SourceRange } from './source';

export type Severity = 'error' | 'warning' | 'info' | 'hint';

/** Replace `range` by `newText` (an insertion when the range is empty). */
export interface TextEdit {
  readonly range: SourceRange;
  readonly newText: string;
}

/** A mechanical change that resolves a finding, for the editor's quick fixes. */
export interface Fix {
  readonly title: string;
  readonly edits: readonly TextEdit[];
  /**
   * `safe` keeps the parameter count; `unsafe` changes the model's capacity (the user should
   * check the budget afterwards), as Ruff marks fixes that change behaviour.
   */
  readonly safety: 'safe' | 'unsafe';
}

/**
 * A problem found while reading a model file or judging it. Front ends report parse and
 * validation problems with codes `RL1xx`; guideline rules use `RA0NN`.
 */
export interface Diagnostic {
  readonly file: string;
  readonly range: SourceRange;
  readonly severity: Severity;
  readonly code: string;
  readonly message: string;
  readonly fix?: Fix;
}
