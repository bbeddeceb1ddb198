import * as vscode from 'vscode';
import type { RunEntry, RunQueue } from './run-queue';
import { describeProgress, fractionDone } from './run-text';

/**
 * A notification with a Cancel button for one run, from the moment it is queued until it ends.
 * Cancel leaves the queue for a waiting run, and stops a running one after its current step.
 */
export function showRunNotification(queue: RunQueue, entry: RunEntry): Thenable<void> {
  return vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: entry.request.label, cancellable: true },
    (progress, token) =>
      new Promise<void>((resolve) => {
        let reported = 0;
        const report = (current: RunEntry): void => {
          const fraction = fractionDone(current) ?? 0;
          // withProgress adds increments; a run's fraction only grows.
          const increment = Math.max(0, 100 * fraction - reported);
          reported += increment;
          progress.report({ message: describeProgress(current), increment });
        };
        report(entry);
        const subscription = queue.onEvent((current) => {
          if (current.key !== entry.key) return;
          if (current.state === 'finished') {
            subscription.dispose();
            resolve();
            return;
          }
          report(current);
        });
        token.onCancellationRequested(() => {
          queue.cancel(entry.key);
        });
      }),
  );
}
