import type { EpochMetrics, StepProgress } from '../train/train-loop';
import type { EvalResult } from './eval-result';

/**
 * What a training or evaluation run streams, one JSON message at a time, to whoever started it
 * (the CLI's terminal, the editor through the worker's IPC channel).
 */
export type RunMessage =
  | {
      readonly type: 'started';
      readonly runId: string;
      readonly runDir: string;
      readonly backend: string;
      readonly device: string;
      readonly notes: readonly string[];
    }
  | {
      readonly type: 'progress';
      readonly phase: string;
      readonly done: number;
      readonly total: number;
      readonly etaSeconds?: number;
      readonly imagesPerSecond?: number;
      readonly detail?: StepProgress;
    }
  | { readonly type: 'metric'; readonly epoch: EpochMetrics }
  | { readonly type: 'checkpoint'; readonly file: string; readonly epoch: number }
  | { readonly type: 'result'; readonly result: RunSummary }
  | { readonly type: 'error'; readonly message: string };

export interface RunSummary {
  readonly runId: string;
  readonly runDir: string;
  readonly kind: 'train' | 'eval';
  readonly status: 'completed' | 'cancelled' | 'diverged' | 'catastrophic-overfitting';
  readonly message?: string;
  readonly history?: readonly EpochMetrics[];
  readonly evaluation?: EvalResult;
}

export type RunListener = (message: RunMessage) => void;
