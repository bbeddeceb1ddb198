import type { ThreatModel } from '../attacks/attack';
import type { ScheduleKind } from './schedule';

/**
 * - standard: cross-entropy on clean images.
 * - pgd: PGD adversarial training (Madry et al., 2018): CE on PGD examples with random start.
 * - fast: FGSM with random start and step 1.25 eps (Wong, Rice and Kolter, "Fast is better than
 *   free", ICLR 2020): the proxy training RobArch's search used.
 * - trades: CE on clean images plus beta * KL to the adversarial ones (Zhang et al., ICML 2019).
 */
export type TrainMethod = 'standard' | 'pgd' | 'fast' | 'trades';

export interface TrainConfig {
  readonly method: TrainMethod;
  readonly threat: ThreatModel;
  readonly epochs: number;
  readonly batchSize: number;
  /** Inner maximisation steps (pgd, trades). */
  readonly attackSteps: number;
  /** Inner step size; default 2.5 eps / steps (pgd, trades), 1.25 eps (fast). */
  readonly attackStepSize?: number;
  readonly tradesBeta: number;
  readonly learningRate: number;
  readonly schedule: ScheduleKind;
  readonly momentum: number;
  readonly weightDecay: number;
  readonly nesterov: boolean;
  /** Epochs over which eps grows linearly from 0 to its value (0: from the start). */
  readonly epsRampEpochs: number;
  /** Test images used for the per-epoch clean / FGSM / PGD accuracy. */
  readonly evalSamples: number;
  /** PGD steps of the per-epoch robust accuracy. */
  readonly evalPgdSteps: number;
  readonly seed: number;
  /** Limits each epoch to this many training images (a quick look); all when absent. */
  readonly trainSamples?: number;
}

export const TRAIN_DEFAULTS: Omit<TrainConfig, 'threat'> = {
  method: 'pgd',
  epochs: 10,
  batchSize: 128,
  attackSteps: 10,
  tradesBeta: 6,
  learningRate: 0.1,
  schedule: 'cosine',
  momentum: 0.9,
  weightDecay: 5e-4,
  nesterov: false,
  epsRampEpochs: 0,
  evalSamples: 500,
  evalPgdSteps: 20,
  seed: 0,
};

/** The inner attack's step for one training method. */
export function innerStepSize(config: TrainConfig, eps: number): number {
  if (config.attackStepSize !== undefined) return config.attackStepSize;
  return config.method === 'fast' ? 1.25 * eps : (2.5 * eps) / Math.max(1, config.attackSteps);
}
