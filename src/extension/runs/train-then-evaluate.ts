import type { RunRequest } from './run-request';
import type { RunService } from './run-service';

/**
 * "Train briefly first": queues the training and, once it completes, the evaluation of the
 * weights it saved. A training that fails or is cancelled starts no evaluation: its own
 * notification says what happened (and what a cancel kept).
 */
export function trainThenEvaluate(
  runs: RunService,
  training: RunRequest,
  evaluation: (weights: string) => RunRequest,
): void {
  const started = runs.start(training);
  const listener = runs.onFinished((entry) => {
    if (entry.key !== started.key) return;
    listener.dispose();
    if (entry.outcome === 'completed' && entry.runDir) runs.start(evaluation(entry.runDir));
  });
}
