/**
 * Warnings that an evaluation may over-report robustness (the failure modes Croce and Hein, 2020,
 * and the AutoAttack checks list). Codes are stable: result.json, the CLI and the results panel
 * carry them, and users may filter on them.
 */
export type EvalWarningCode =
  | 'untrained-weights'
  | 'randomised-logits'
  | 'probability-outputs'
  | 'zero-gradients'
  | 'state-changed'
  | 'near-chance'
  | 'black-box-beats-gradient';

export interface EvalWarning {
  readonly code: EvalWarningCode;
  /** One line: what was measured. */
  readonly message: string;
  /** One line: what to do about it. */
  readonly advice: string;
}

export const EVAL_WARNING_CODES: readonly EvalWarningCode[] = [
  'untrained-weights', 'randomised-logits', 'probability-outputs', 'zero-gradients', 'state-changed', 'near-chance',
  'black-box-beats-gradient',
];
