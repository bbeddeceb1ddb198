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
  'untrained-weights',
  'randomised-logits',
  'probability-outputs',
  'zero-gradients',
  'state-changed',
  'near-chance',
  'black-box-beats-gradient',
];

/** A warning as the editor words it. */
export interface WarningText {
  readonly message: string;
  readonly advice: string;
}

/**
 * The editor's words where the engine's name CLI flags (`--weights RUN`): the editor's own
 * commands and picks instead. Keyed by code, so result.json files written before still read well.
 */
const EDITOR_WORDS: Partial<Record<EvalWarningCode, Partial<WarningText>>> = {
  'untrained-weights': {
    message: 'Untrained weights: these figures describe a randomly initialised model',
    advice:
      'Run "Train adversarially" on this model (or pick "Train briefly first" in "Evaluate robustness"), ' +
      'then "Evaluate robustness" and pick its weights; a model evaluated on your PyTorch takes its ' +
      'trained weights file in "Evaluate robustness (runs your PyTorch)"',
  },
  'randomised-logits': {
    advice:
      'Evaluate it with the rand version of AutoAttack (APGD with EOT over 20 samples): ' +
      'the standard version over-reports a randomised model',
  },
};

const capitalised = (text: string): string => text.charAt(0).toUpperCase() + text.slice(1);

/** A warning for a notification or the results panel: capitalised, naming commands and settings, not CLI flags. */
export function editorWarningText(warning: EvalWarning): WarningText {
  const words = EDITOR_WORDS[warning.code];
  return {
    message: capitalised(words?.message ?? warning.message),
    advice: capitalised(words?.advice ?? warning.advice),
  };
}
