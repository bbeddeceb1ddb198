import type { Classifier } from '../model/classifier';

/** The threat models of the robustness literature; L2 where an attack defines it. */
export type ThreatNorm = 'Linf' | 'L2';

export interface ThreatModel {
  readonly norm: ThreatNorm;
  /** Radius in [0,1] pixel units (8/255 for CIFAR Linf, 0.3 for MNIST Linf, 0.5 for CIFAR L2). */
  readonly eps: number;
}

/** A batch to attack: NHWC pixels in [0,1] and true labels. */
export interface AttackBatch {
  readonly x: Float32Array;
  readonly labels: Int32Array;
  readonly n: number;
}

export interface AttackOutcome {
  /** Adversarial images, inside the threat model's ball around `x` and inside [0,1]. */
  readonly xAdv: Float32Array;
  /** Per sample: the model still predicts the true label on xAdv. */
  readonly robust: Uint8Array;
}

/** Reports work done, so long attacks can show progress and be cancelled between steps. */
export interface AttackContext {
  /** Throws when the run was cancelled; called between forward/backward passes. */
  readonly checkpoint?: () => void;
  readonly seed: number;
}

export type Attack = (
  model: Classifier,
  batch: AttackBatch,
  threat: ThreatModel,
  context: AttackContext,
) => Promise<AttackOutcome>;
