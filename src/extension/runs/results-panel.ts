import * as crypto from 'node:crypto';
import * as vscode from 'vscode';
import type { RunMessage } from '../../engine/run/run-messages';
import { writeFileAtomic } from '../../engine/util/atomic-write';
import { parseFromResultsPanel, type ExportFormat, type RunRecord } from '../../../webview/src/results/protocol';
import { resultsPanelHtml } from '../../../webview/src/results/panel-html';
import { listRuns } from './run-listing';
import { ResultsSession } from './results-session';
import type { RunService } from './run-service';
import type { FollowedRunsHost } from './followed-runs-host';

export const RESULTS_VIEW_TYPE = 'robustnessLens.results';

const FILTERS: Record<ExportFormat, Record<string, string[]>> = {
  json: { JSON: ['json'] },
  csv: { CSV: ['csv'] },
  markdown: { Markdown: ['md'] },
  png: { 'PNG image': ['png'] },
};

function nonce(): string {
  return crypto
    .randomBytes(18)
    .toString('base64')
    .replace(/[^A-Za-z0-9]/g, '')
    .padEnd(16, '0');
}

function workspaces(): string[] {
  return (vscode.workspace.workspaceFolders ?? []).filter((f) => f.uri.scheme === 'file').map((f) => f.uri.fsPath);
}

/**
 * The results panel: one at a time, reopened after a reload by its serializer, fed from the run
 * folders (watched) and the live runs. Closing it never stops a run.
 */
export class ResultsPanelHost implements vscode.Disposable {
  private panel: vscode.WebviewPanel | undefined;
  private session: ResultsSession | undefined;
  private refreshTimer: NodeJS.Timeout | undefined;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly runs: RunService,
    private readonly output: vscode.OutputChannel,
    private readonly followed?: FollowedRunsHost,
  ) {
    this.disposables.push(
      vscode.window.registerWebviewPanelSerializer(RESULTS_VIEW_TYPE, {
        deserializeWebviewPanel: async (panel, state: unknown) => {
          const selected = (state as { selected?: unknown } | undefined)?.selected;
          this.attach(panel, Array.isArray(selected) ? selected.filter((s): s is string => typeof s === 'string') : []);
        },
      }),
      runs.onFinished((entry) => {
        this.scheduleRefresh();
        // A finished run is what the person wants to see next; one they cancelled or that
        // failed is not (the failure has its own message).
        if (entry.runId && entry.outcome !== 'failed' && entry.outcome !== 'cancelled') this.show([entry.runId], true);
      }),
    );
    const events = runs.queue.onEvent((entry, message) => this.onRunEvent(entry.runId, message));
    this.disposables.push({ dispose: () => events.dispose() });
    if (followed) {
      // A Slurm job or an earlier window's torchrun: the same live messages as a queued run.
      this.disposables.push(
        followed.onMessage(({ runId, message }) => this.onRunEvent(runId, message)),
        followed.onChange(() => this.scheduleRefresh()),
      );
    }
    for (const folder of workspaces()) {
      const watcher = vscode.workspace.createFileSystemWatcher(
        new vscode.RelativePattern(vscode.Uri.file(folder), '.robustness-lens/runs/**'),
      );
      watcher.onDidCreate(() => this.scheduleRefresh());
      watcher.onDidChange(() => this.scheduleRefresh());
      watcher.onDidDelete(() => this.scheduleRefresh());
      this.disposables.push(watcher);
    }
  }

  /** Opens the panel (or brings it forward) on these runs. */
  show(runIds: readonly string[] = [], preserveFocus = false): void {
    if (this.panel) {
      this.panel.reveal(undefined, preserveFocus);
    } else {
      const panel = vscode.window.createWebviewPanel(
        RESULTS_VIEW_TYPE,
        'Robustness Results',
        { viewColumn: vscode.ViewColumn.Beside, preserveFocus },
        {
          enableScripts: true,
          // The page keeps nothing that matters: everything comes back from the runs on `ready`.
          retainContextWhenHidden: false,
          localResourceRoots: [
            vscode.Uri.joinPath(this.context.extensionUri, 'dist'),
            vscode.Uri.joinPath(this.context.extensionUri, 'media'),
          ],
        },
      );
      this.attach(panel, runIds);
    }
    if (runIds.length > 0) this.session?.select(runIds);
  }

  dispose(): void {
    clearTimeout(this.refreshTimer);
    this.panel?.dispose();
    for (const d of this.disposables) d.dispose();
  }

  private attach(panel: vscode.WebviewPanel, selection: readonly string[]): void {
    this.panel?.dispose();
    this.panel = panel;
    panel.webview.options = {
      enableScripts: true,
      localResourceRoots: [
        vscode.Uri.joinPath(this.context.extensionUri, 'dist'),
        vscode.Uri.joinPath(this.context.extensionUri, 'media'),
      ],
    };
    const webview = panel.webview;
    const session = new ResultsSession(
      {
        parse: parseFromResultsPanel,
        post: (message) => void webview.postMessage(message),
        log: (line) => this.output.appendLine(line),
        listRuns: () => this.listRuns(),
        cancel: (runId) => this.runs.queue.cancel(runId) || (this.followed?.cancel(runId) ?? false),
        save: (name, format, data) => this.save(name, format, data),
        reveal: (dir) => void vscode.commands.executeCommand('revealInExplorer', vscode.Uri.file(dir)),
        catchUp: () => this.followed?.runs.catchUp() ?? [],
      },
      selection,
    );
    this.session = session;
    const dist = vscode.Uri.joinPath(this.context.extensionUri, 'dist');
    const styleUri = webview.asWebviewUri(vscode.Uri.joinPath(dist, 'results.css')).toString();
    try {
      webview.html = resultsPanelHtml({
        scriptUri: webview.asWebviewUri(vscode.Uri.joinPath(dist, 'results.js')).toString(),
        styleUri,
        cspSource: webview.cspSource,
        nonce: nonce(),
      });
    } catch (error) {
      // A blank panel would say nothing: say why, and log it.
      this.output.appendLine(`results panel: cannot build the page: ${(error as Error).message}`);
      webview.html =
        `<!DOCTYPE html><html lang="en"><head><meta http-equiv="Content-Security-Policy" ` +
        `content="default-src 'none'"></head><body><p>The results page could not be built; ` +
        `see the Robustness Lens output.</p></body></html>`;
    }
    const received = webview.onDidReceiveMessage((raw: unknown) => session.receive(raw));
    panel.onDidDispose(() => {
      received.dispose();
      if (this.panel === panel) {
        this.panel = undefined;
        this.session = undefined;
      }
    });
  }

  private listRuns(): RunRecord[] {
    const records = listRuns(workspaces(), this.runs.queue.active(), (line) => this.output.appendLine(line));
    const followed = this.followed?.runs;
    return followed ? records.map((r) => followed.decorate(r)) : records;
  }

  private onRunEvent(runId: string | undefined, message: RunMessage | undefined): void {
    if (!message) {
      // Queued, started or moved up: the list changes.
      this.scheduleRefresh();
      return;
    }
    if (runId) this.session?.live(runId, message);
    if (message.type === 'started' || message.type === 'metric') this.scheduleRefresh();
  }

  /** Folder events come in bursts (a run writes several files): one re-read per burst. */
  private scheduleRefresh(): void {
    if (!this.session) return;
    clearTimeout(this.refreshTimer);
    this.refreshTimer = setTimeout(() => this.session?.refresh(), 250);
  }

  private async save(name: string, format: ExportFormat, data: string | Uint8Array): Promise<string | undefined> {
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
    const target = await vscode.window.showSaveDialog({
      title: `Export ${format === 'markdown' ? 'Markdown report' : format.toUpperCase()}`,
      filters: FILTERS[format],
      ...(folder ? { defaultUri: vscode.Uri.joinPath(folder, name) } : {}),
    });
    if (!target) return undefined;
    if (target.scheme === 'file') {
      // A reader never sees half a file, and a failed write leaves the old one.
      writeFileAtomic(target.fsPath, data);
    } else {
      await vscode.workspace.fs.writeFile(target, typeof data === 'string' ? Buffer.from(data, 'utf8') : data);
    }
    void vscode.window.showInformationMessage(`Robustness Lens: saved ${vscode.workspace.asRelativePath(target)}`);
    return target.fsPath;
  }
}
