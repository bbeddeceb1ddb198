import type { ThreatModel } from '../attacks/attack';
import type { AttackName } from '../attacks/autoattack';
import type { EvalWarning } from '../evaluate/eval-warnings';

/** What `.robustness-lens/runs/<id>/result.json` holds for an evaluation. */
export interface EvalResult {
  readonly threat: ThreatModel;
  readonly samples: number;
  readonly cleanAccuracy: number;
  /** Per attack, in the order run: accuracy on the points every attack so far left robust. */
  readonly attacks: ReadonlyArray<{
    readonly name: AttackName;
    readonly robustAccuracy: number;
    readonly seconds: number;
  }>;
  readonly robustAccuracy: number;
  /** Per sample (in data set order): 1 when correct on the clean image / robust to every attack. */
  readonly perSample: {
    readonly indices: readonly number[];
    readonly clean: readonly number[];
    readonly robust: readonly number[];
  };
  readonly seconds: number;
  /** Signs that these figures over-report robustness (absent in results written before the checks). */
  readonly warnings?: readonly EvalWarning[];
}
