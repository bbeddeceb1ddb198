import type { RunMessage } from '../../engine/run/run-messages';
import type { ExportFormat, FromResultsPanel, RunRecord, ToResultsPanel } from '../../../webview/src/results/protocol';
import { decodePngDataUrl, exportCsv, exportJson, exportMarkdown, suggestedFileName } from './run-export';

/** What the session needs from the editor; a fake in the unit tests, VS Code in results-panel.ts. */
export interface ResultsPorts {
  /** The page's messages are untrusted input: the typed validator of the shared protocol. */
  parse(raw: unknown): FromResultsPanel | undefined;
  post(message: ToResultsPanel): void;
  log(line: string): void;
  /** Every run of the workspace plus the ones waiting in the queue, newest first. */
  listRuns(): RunRecord[];
  cancel(runId: string): boolean;
  /** Asks where to save and writes the file atomically; the path, or undefined when the person cancelled. */
  save(suggestedName: string, format: ExportFormat, data: string | Uint8Array): Promise<string | undefined>;
  reveal(dir: string): void;
  /** Live messages so far of runs going outside the queue (Slurm jobs), for a page that has just loaded. */
  catchUp?(): readonly { runId: string; message: RunMessage }[];
}

/** The first characters of a rejected message, for the log (it may be huge or not JSON at all). */
function preview(raw: unknown): string {
  try {
    const s = JSON.stringify(raw) ?? String(raw);
    return s.length > 200 ? `${s.slice(0, 200)}...` : s;
  } catch {
    return Object.prototype.toString.call(raw);
  }
}

/**
 * One results panel's conversation with its page: answers `ready` with the runs, acts on
 * validated requests only, and forwards live run messages.
 */
export class ResultsSession {
  private selected: readonly string[];
  private ready = false;

  constructor(
    private readonly ports: ResultsPorts,
    initialSelection: readonly string[] = [],
  ) {
    this.selected = initialSelection;
  }

  get selection(): readonly string[] {
    return this.selected;
  }

  /** Handles one message from the page; never throws (a failure is logged). */
  async receive(raw: unknown): Promise<void> {
    const message = this.ports.parse(raw);
    if (!message) {
      this.ports.log(`results panel: rejected a malformed message: ${preview(raw)}`);
      return;
    }
    try {
      await this.handle(message);
    } catch (error) {
      this.ports.log(`results panel: ${message.type} failed: ${(error as Error).message}`);
    }
  }

  /** The runs changed on disk or in the queue. */
  refresh(): void {
    if (this.ready) this.ports.post({ type: 'runs', runs: this.ports.listRuns() });
  }

  /** Shows these runs (a finished run, a run the person asked for). */
  select(runIds: readonly string[]): void {
    this.selected = [...runIds];
    if (this.ready) this.ports.post({ type: 'select', runIds: this.selected });
  }

  live(runId: string, message: RunMessage): void {
    if (this.ready) this.ports.post({ type: 'live', runId, message });
  }

  private async handle(message: FromResultsPanel): Promise<void> {
    switch (message.type) {
      case 'ready':
        // A reloaded page starts empty: everything it shows comes from here.
        this.ready = true;
        this.ports.post({ type: 'runs', runs: this.ports.listRuns() });
        for (const { runId, message } of this.ports.catchUp?.() ?? [])
          this.ports.post({ type: 'live', runId, message });
        if (this.selected.length > 0) this.ports.post({ type: 'select', runIds: this.selected });
        return;
      case 'select':
        // The page keeps its own selection across reloads (webview state); this one is for
        // the next `ready` of the same page.
        this.selected = [...message.runIds];
        return;
      case 'cancel':
        if (!this.ports.cancel(message.runId))
          this.ports.log(`results panel: no queued or running run ${message.runId} to cancel`);
        return;
      case 'openFolder': {
        const run = this.ports.listRuns().find((r) => r.id === message.runId);
        if (run && run.dir) this.ports.reveal(run.dir);
        else this.ports.log(`results panel: no run folder for ${message.runId}`);
        return;
      }
      case 'export':
        await this.export(message);
        return;
    }
  }

  private async export(message: Extract<FromResultsPanel, { type: 'export' }>): Promise<void> {
    const all = this.ports.listRuns();
    const runs = message.runIds.map((id) => all.find((r) => r.id === id));
    const missing = message.runIds.filter((_, i) => runs[i] === undefined);
    if (missing.length > 0 || runs.length === 0) {
      this.ports.log(`results panel: export refused: no run ${missing.join(', ') || '(none named)'}`);
      return;
    }
    const found = runs.filter((r): r is RunRecord => r !== undefined);
    let data: string | Uint8Array;
    // The page may send the text it built (it knows which chart or table was asked for); the
    // validator bounded its size, and the person picks where it goes.
    switch (message.format) {
      case 'json':
        data = message.content ?? exportJson(found);
        break;
      case 'csv':
        data = message.content ?? exportCsv(found);
        break;
      case 'markdown':
        data = message.content ?? exportMarkdown(found);
        break;
      case 'png': {
        const png = decodePngDataUrl(message.pngDataUrl ?? '');
        if (!png.bytes) {
          this.ports.log(`results panel: PNG export refused: ${png.error ?? 'no image'}`);
          return;
        }
        data = png.bytes;
        break;
      }
    }
    const saved = await this.ports.save(
      suggestedFileName(message.runIds, message.format, message.chart),
      message.format,
      data,
    );
    if (saved) this.ports.log(`results panel: exported ${message.format} of ${message.runIds.join(', ')} to ${saved}`);
  }
}
