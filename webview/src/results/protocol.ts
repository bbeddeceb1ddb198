import type { RunSummary, RunMessage } from '../../../src/engine/run/run-messages';

/**
 * Messages between the extension and the results panel (webview/src/results/), shared by both
 * sides. A run record is what a run folder under .robustness-lens/runs/<id>/ holds, read by the
 * extension: config.json, environment.json and result.json (absent while the run is going).
 */
export interface RunRecord {
  readonly id: string;
  readonly dir: string;
  readonly kind: 'train' | 'eval';
  /** config.json as the engine wrote it. */
  readonly config: unknown;
  /** environment.json (back end, device, CPU, start time). */
  readonly environment: unknown;
  /** result.json; undefined while running or when the run was killed before it finished. */
  readonly result?: RunSummary;
  /** Live state the extension knows for a run it started. */
  readonly state: 'running' | 'queued' | 'finished' | 'interrupted';
  /** The Slurm job of a run submitted with --slurm (slurm-job.json), with the state the editor last saw. */
  readonly job?: RunJob;
}

export interface RunJob {
  readonly scheduler: 'slurm';
  readonly id: string;
  /** PENDING, RUNNING, COMPLETED, CANCELLED, FAILED, or UNKNOWN when Slurm cannot be asked from here. */
  readonly phase: string;
  /** Slurm's own word when it says more (TIMEOUT, OUT_OF_MEMORY). */
  readonly detail?: string;
}

export type ToResultsPanel =
  /** Every run of the workspace, newest first; sent on open and whenever a run folder changes. */
  | { readonly type: 'runs'; readonly runs: readonly RunRecord[] }
  /** A message streamed by a run in progress (progress, metric per epoch, checkpoint, result, error). */
  | { readonly type: 'live'; readonly runId: string; readonly message: RunMessage }
  /** Which runs to show (one: its details; several: side-by-side comparison). */
  | { readonly type: 'select'; readonly runIds: readonly string[] };

export type ExportFormat = 'json' | 'csv' | 'markdown' | 'png';

export type FromResultsPanel =
  | { readonly type: 'ready' }
  | { readonly type: 'select'; readonly runIds: readonly string[] }
  | { readonly type: 'cancel'; readonly runId: string }
  /**
   * `png` carries the chart rendered by the page as a data: URL; the extension saves it. For
   * json/csv/markdown the page sends the file's text in `content` (absent: the extension may build
   * it); `chart` then names what was exported ('curves', 'attacks', 'comparison', 'report', 'runs').
   */
  | {
      readonly type: 'export';
      readonly format: ExportFormat;
      readonly runIds: readonly string[];
      readonly chart?: string;
      readonly pngDataUrl?: string;
      readonly content?: string;
    }
  | { readonly type: 'openFolder'; readonly runId: string };

// Validators: the page checks what it receives, the extension checks what the page sends.
export { parseToResultsPanel } from './validate/parse-to-panel';
export { parseFromResultsPanel } from './validate/parse-from-panel';
