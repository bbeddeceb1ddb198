import type { CodeLens, Diagnostic as LspDiagnostic, Hover, InlayHint } from 'vscode-languageserver/node';
import type { ParamsReport } from '../core';
import type { ModelSummaryInfo } from './protocol';
import type { ServerSettings } from './settings';

/**
 * Messages between the language server and its analysis process. Every analysis of a file's
 * content happens there, so a file that exhausts time or memory costs that process, never the
 * server: the server answers the editor from what the process returns.
 */

/** One version of one document, as the editor holds it. */
export interface DocumentRef {
  readonly uri: string;
  readonly file: string;
  readonly version: number;
  readonly text: string;
  /** Open in the editor: keep the incremental re-read memo for the next keystroke. */
  readonly open: boolean;
}

export interface AnalysisQueries {
  diagnostics: { query: { doc: DocumentRef }; answer: { diagnostics: LspDiagnostic[]; shown: string } };
  codeLenses: { query: { doc: DocumentRef }; answer: CodeLens[] };
  inlayHints: { query: { doc: DocumentRef; fromLine: number; toLine: number }; answer: InlayHint[] };
  hover: { query: { doc: DocumentRef; line: number }; answer: Hover | null };
  paramsReports: { query: { doc: DocumentRef }; answer: ParamsReport[] };
  summary: { query: { doc: DocumentRef }; answer: ModelSummaryInfo | null };
  /** Reads a workspace file from disk and lints it (the editor does not have it open). */
  lintFile: {
    query: { doc: Omit<DocumentRef, 'text' | 'version' | 'open'> };
    answer: { diagnostics: LspDiagnostic[]; findings: number };
  };
  modelFiles: { query: { folders: string[] }; answer: string[] };
  /** Config files or settings changed: drop every cached analysis. */
  invalidate: { query: Record<string, never>; answer: null };
  forget: { query: { uri: string }; answer: null };
}

export type QueryKind = keyof AnalysisQueries;

export interface AnalysisRequest<K extends QueryKind = QueryKind> {
  readonly id: number;
  readonly kind: K;
  readonly query: AnalysisQueries[K]['query'];
  readonly settings: ServerSettings;
}

export type AnalysisResponse =
  | { readonly id: number; readonly ok: true; readonly answer: unknown }
  | { readonly id: number; readonly ok: false; readonly error: string };

/** What the analysis process sends once it can answer. */
export const READY = 'robustness-lens-analysis-ready';
