import type { SourceRange } from './source';

export type Severity = 'error' | 'warning' | 'info' | 'hint';

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
}
