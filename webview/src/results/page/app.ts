import { attacksCsv, comparisonCsv, curvesCsv } from '../export/csv';
import { markdownReport } from '../export/markdown';
import { compare } from '../model/figures';
import { modelFacts } from '../model/run-facts';
import { RunStore, type ViewRun } from '../model/run-store';
import { parseToResultsPanel, type ExportFormat, type FromResultsPanel } from '../protocol';
import { ChartHost } from '../views/chart-host';
import { comparisonView } from '../views/comparison';
import { detailsView } from '../views/details';
import { historyView } from '../views/history';
import { updateProgress } from '../views/progress';
import { el, section } from './dom';
import { preserveFocus } from './focus';
import type { SavedState } from './vscode-api';

export interface Host {
  post(message: FromResultsPanel): void;
  save(state: SavedState): void;
}

function exportedRun(run: ViewRun): Record<string, unknown> {
  return {
    id: run.id,
    dir: run.dir,
    kind: run.kind,
    state: run.state,
    status: run.status,
    message: run.message,
    config: run.config,
    environment: run.environment,
    history: run.history,
    evaluation: run.evaluation,
  };
}

/** The page: holds the runs and the selection, and re-renders when either changes. */
export class ResultsApp {
  private readonly store = new RunStore();
  private selected: string[];
  private readonly charts: ChartHost;
  private scrollY: number;
  private loaded = false;

  constructor(
    private readonly root: HTMLElement,
    private readonly host: Host,
    saved: SavedState,
  ) {
    this.selected = [...saved.selected];
    this.scrollY = saved.scrollY;
    this.charts = new ChartHost((chart, pngDataUrl) =>
      this.host.post({ type: 'export', format: 'png', runIds: this.shownIds(), chart, pngDataUrl }),
    );
  }

  /** Every message from the extension goes through the validator; anything else is dropped. */
  receive(raw: unknown): void {
    const message = parseToResultsPanel(raw);
    if (!message) {
      const type =
        typeof raw === 'object' && raw !== null && typeof (raw as { type?: unknown }).type === 'string'
          ? (raw as { type: string }).type.slice(0, 40)
          : typeof raw;
      console.warn(`Robustness Lens results panel: ignored a malformed message (type ${type})`);
      return;
    }
    switch (message.type) {
      case 'runs': {
        this.store.setRuns(message.runs);
        const first = !this.loaded;
        this.loaded = true;
        if (this.shown().length === 0 && message.runs[0]) this.selected = [message.runs[0].id];
        this.render();
        if (first) window.scrollTo(0, this.scrollY);
        break;
      }
      case 'select':
        this.selected = [...message.runIds];
        this.saveState();
        this.render();
        break;
      case 'live': {
        const change = this.store.applyLive(message.runId, message.message);
        if (change === 'progress') this.refreshProgress(message.runId);
        else this.render();
        break;
      }
    }
  }

  /** Theme or width changed: charts take colours and size at creation, so draw them again. */
  redrawCharts(): void {
    this.charts.mount();
  }

  rememberScroll(y: number): void {
    this.scrollY = y;
    this.saveState();
  }

  private shown(): ViewRun[] {
    const set = new Set(this.selected);
    return this.store.list().filter((r) => set.has(r.id));
  }

  private shownIds(): string[] {
    return this.shown().map((r) => r.id);
  }

  private select(ids: string[]): void {
    this.selected = ids;
    this.saveState();
    this.host.post({ type: 'select', runIds: this.shownIds() });
    this.render();
  }

  private saveState(): void {
    this.host.save({ selected: this.selected, scrollY: this.scrollY });
  }

  private refreshProgress(runId: string): void {
    const run = this.store.get(runId);
    const box = this.root.querySelector<HTMLElement>(`[data-progress="${CSS.escape(runId)}"]`);
    if (run && box) updateProgress(box, run);
    else if (run && this.selected.includes(runId)) this.render();
  }

  private render(): void {
    preserveFocus(this.root, () => {
      const y = window.scrollY;
      this.charts.clear();
      const runs = this.store.list();
      const selectedSet = new Set(this.selected);
      const history = historyView(runs, selectedSet, {
        open: (id) => this.select([id]),
        toggle: (id, on) =>
          this.select(on ? [...this.selected.filter((s) => s !== id), id] : this.selected.filter((s) => s !== id)),
      });
      this.root.replaceChildren(history, this.mainView(runs));
      this.charts.mount();
      if (this.loaded) window.scrollTo(0, y);
    });
  }

  private mainView(runs: readonly ViewRun[]): HTMLElement {
    const shown = this.shown();
    const only = shown[0];
    if (shown.length >= 2) {
      const comparison = compare(shown, (r) => modelFacts(r).params);
      if (comparison) return comparisonView(comparison, this.charts, (format) => this.exportText(format));
    }
    if (only) {
      return detailsView(only, runs, this.charts, {
        cancel: (runId) => this.host.post({ type: 'cancel', runId }),
        openFolder: (runId) => this.host.post({ type: 'openFolder', runId }),
        exportText: (format) => this.exportText(format),
      });
    }
    return section('Details', 'details', [
      el('p', { className: 'muted', text: runs.length > 0 ? 'Select a run above to see its results.' : '' }),
    ]);
  }

  private exportText(format: Exclude<ExportFormat, 'png'>): void {
    const shown = this.shown();
    const runIds = shown.map((r) => r.id);
    const only = shown[0];
    if (!only) return;
    let chart: string;
    let content: string;
    if (format === 'json') {
      chart = 'runs';
      content = JSON.stringify(shown.map(exportedRun), null, 2);
    } else if (format === 'markdown') {
      chart = 'report';
      content = markdownReport(shown, new Date().toISOString());
    } else if (shown.length >= 2) {
      const comparison = compare(shown, (r) => modelFacts(r).params);
      if (!comparison) return;
      chart = 'comparison';
      content = comparisonCsv(comparison);
    } else if (only.kind === 'train') {
      chart = 'curves';
      content = curvesCsv(only);
    } else {
      chart = 'attacks';
      content = attacksCsv(only);
    }
    this.host.post({ type: 'export', format, runIds, chart, content });
  }
}
