import * as vscode from 'vscode';
import type { RunMessage } from '../../engine/run/run-messages';
import { cancelRun } from '../../engine/torch/cancel-run';
import { FollowedRuns } from './followed-runs';
import { queryJobState } from './job-state';
import type { RunService } from './run-service';

/** How often a followed run's log and its job's state are read while one is active. */
const POLL_MS = 2000;

/**
 * The editor's side of FollowedRuns: finds PyTorch runs going outside the queue at start-up (a
 * reload keeps following them), polls while any is active, and tells the results panel.
 */
export class FollowedRunsHost implements vscode.Disposable {
  readonly runs: FollowedRuns;
  private timer: NodeJS.Timeout | undefined;
  private readonly disposables: vscode.Disposable[] = [];
  private readonly messages = new vscode.EventEmitter<{ runId: string; message: RunMessage }>();
  private readonly changes = new vscode.EventEmitter<void>();
  readonly onMessage = this.messages.event;
  readonly onChange = this.changes.event;

  constructor(
    service: RunService,
    private readonly output: vscode.OutputChannel,
  ) {
    this.runs = new FollowedRuns({
      workspaces: () =>
        (vscode.workspace.workspaceFolders ?? []).filter((f) => f.uri.scheme === 'file').map((f) => f.uri.fsPath),
      queryJob: queryJobState,
      owned: (runId) => service.queue.find(runId) !== undefined,
      onMessage: (runId, message) => this.messages.fire({ runId, message }),
      onChange: () => this.changes.fire(),
      log: (line) => output.appendLine(line),
    });
    // The queue is empty now: a trainer of this machine still writing its folder was started
    // by an earlier window (or the CLI), and nobody else follows it.
    this.runs.scan(true);
    this.schedule();
    // A job submitted from the CLI (`train --slurm`) while the editor is open is followed too.
    for (const folder of vscode.workspace.workspaceFolders ?? []) {
      if (folder.uri.scheme !== 'file') continue;
      const pattern = new vscode.RelativePattern(folder, '.robustness-lens/runs/*/slurm-job.json');
      const watcher = vscode.workspace.createFileSystemWatcher(pattern);
      const found = (): void => {
        this.runs.scan();
        this.schedule();
      };
      watcher.onDidCreate(found);
      watcher.onDidChange(found);
      this.disposables.push(watcher);
    }
  }

  /** Starts following a run just handed to Slurm. */
  follow(runDir: string): void {
    this.runs.follow(runDir);
    this.schedule();
  }

  /** scancel (or SIGTERM for a trainer of this machine) through the engine's cancel-run. */
  cancel(runId: string): boolean {
    const dir = this.runs.dirOf(runId);
    if (!dir) return false;
    try {
      this.output.appendLine(`runs: cancelled ${runId}: ${cancelRun(dir)}`);
    } catch (error) {
      void vscode.window.showErrorMessage(`Robustness Lens: ${(error as Error).message}`);
      return false;
    }
    void this.runs.poll();
    return true;
  }

  dispose(): void {
    clearTimeout(this.timer);
    for (const d of this.disposables) d.dispose();
    this.messages.dispose();
    this.changes.dispose();
  }

  private schedule(): void {
    clearTimeout(this.timer);
    if (!this.runs.active) return;
    this.timer = setTimeout(() => {
      this.runs
        .poll()
        .catch((error: unknown) => this.output.appendLine(`runs: following failed: ${(error as Error).message}`))
        .finally(() => this.schedule());
    }, POLL_MS);
  }
}
