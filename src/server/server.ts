import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import {
  CodeActionKind, CodeLensRefreshRequest, createConnection, DidChangeConfigurationNotification, InlayHint, MarkupKind, ProposedFeatures, TextDocuments, TextDocumentSyncKind,
  type CodeLens, type Hover,
} from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { URI } from 'vscode-uri';
import {
  ensurePythonParser, findModelFiles, formatCompact, formatThousands, layerLabel, MAX_MODEL_FILE_BYTES, paramsReport, readTextBounded, type ParamsReport,
} from '../core';
import { codeActionsFor } from './code-actions';
import { Analyzer, type DocumentAnalysis } from './document-analysis';
import { countsByLine } from './line-counts';
import { DEFAULT_SETTINGS, parseSettings, type ServerSettings } from './settings';
import { toLspDiagnostic } from './to-lsp';
import { REQUESTS, type ModelSummaryInfo } from './protocol';
import { runLenses } from './run-lenses';

// The language server owns all analysis so every LSP editor gets the same behaviour; the
// VS Code client only displays what it answers.
const connection = createConnection(ProposedFeatures.all);
const documents = new TextDocuments(TextDocument);
const pending = new Map<string, NodeJS.Timeout>();
/**
 * Analysis waits for a pause in typing. A re-read after a keystroke reuses what the edit did not
 * touch and usually costs a few milliseconds, so a short pause is enough; an expensive analysis
 * (a first read, a file that changed everywhere) waits as long as it took, up to 150 ms, so a
 * burst of changes keeps the server at most half busy.
 */
const DEBOUNCE_MIN_MS = 15;
const DEBOUNCE_MAX_MS = 150;
/** An analysis cheaper than this can run after every keystroke of fast typing (~10 per second). */
const CHEAP_ANALYSIS_MS = 50;
const analysisCost = new Map<string, number>();

function debounceFor(uri: string): number {
  const cost = analysisCost.get(uri) ?? DEBOUNCE_MAX_MS;
  return cost < CHEAP_ANALYSIS_MS ? DEBOUNCE_MIN_MS : Math.min(DEBOUNCE_MAX_MS, cost);
}

// dist/server.js -> the extension's root, where docs/rules lives.
const extensionRoot = path.join(__dirname, '..');
let settings: ServerSettings = DEFAULT_SETTINGS;
let workspaceFolders: string[] = [];
const analyzer = new Analyzer(() => settings);

function fileOf(uri: string): string {
  return URI.parse(uri).fsPath;
}

function analysisOf(document: TextDocument): DocumentAnalysis | undefined {
  const file = fileOf(document.uri);
  const text = document.getText();
  if (!settings.enable || !analyzer.isModelFile(file, text)) return undefined;
  return analyzer.analyse(document.uri, file, text, document.version, true);
}

function validate(document: TextDocument): void {
  const started = performance.now();
  const analysis = analysisOf(document);
  analysisCost.set(document.uri, performance.now() - started);
  void connection.sendDiagnostics({
    uri: document.uri,
    version: document.version,
    diagnostics: (analysis?.diagnostics ?? []).map((d) => toLspDiagnostic(d, extensionRoot)),
  });
  // The editor may have asked for lenses and hints before this analysis existed: ask again,
  // but only when what they show changed (each refresh makes every editor re-request).
  // The first analysis of a document needs no refresh: the editor asks when it opens it.
  const shown = analysis ? analysis.summaries.map((s) => `${s.network.name}:${s.knownParams}:${s.rows.length}`).join('|') : '';
  const before = lastShown.get(document.uri);
  lastShown.set(document.uri, shown);
  if (before !== undefined && before !== shown) refreshViews();
}

const lastShown = new Map<string, string>();

function refreshViews(): void {
  void connection.sendRequest(CodeLensRefreshRequest.type).catch(() => undefined);
  void connection.languages.inlayHint.refresh().catch(() => undefined);
}

function schedule(document: TextDocument): void {
  clearTimeout(pending.get(document.uri));
  pending.set(document.uri, setTimeout(() => {
    pending.delete(document.uri);
    validate(document);
  }, debounceFor(document.uri)));
}

async function refreshSettings(): Promise<void> {
  settings = parseSettings(await connection.workspace.getConfiguration('robustnessLens'));
  analyzer.invalidate();
  for (const document of documents.all()) validate(document);
  refreshViews();
}

connection.onInitialize(async (params) => {
  // The Python grammar (WebAssembly, next to this bundle) loads once, before any document.
  await ensurePythonParser();
  workspaceFolders = (params.workspaceFolders ?? []).map((f) => fileOf(f.uri));
  return {
    capabilities: {
      textDocumentSync: TextDocumentSyncKind.Incremental,
      codeActionProvider: { codeActionKinds: [CodeActionKind.QuickFix] },
      codeLensProvider: { resolveProvider: false },
      inlayHintProvider: true,
      hoverProvider: true,
    },
    serverInfo: { name: 'robustness-lens' },
  };
});

connection.onInitialized(() => {
  void connection.client.register(DidChangeConfigurationNotification.type, { section: 'robustnessLens' });
  void refreshSettings();
});

connection.onDidChangeConfiguration(() => void refreshSettings());
// A changed config file changes every diagnostic.
connection.onDidChangeWatchedFiles(() => {
  analyzer.invalidate();
  for (const document of documents.all()) validate(document);
});

connection.onCodeAction((params) => {
  const document = documents.get(params.textDocument.uri);
  return document ? codeActionsFor(document.uri, document.getText(), params.context.diagnostics) : [];
});

function budgetText(total: number, budget: number | undefined): string {
  if (budget === undefined) return `${formatCompact(total)} params`;
  const over = total / budget - 1;
  return `${formatCompact(total)} / ${formatCompact(budget)} budget (${over >= 0 ? '+' : ''}${(100 * over).toFixed(1)}%)`;
}

connection.onCodeLens((params): CodeLens[] => {
  const document = documents.get(params.textDocument.uri);
  const analysis = document ? analysisOf(document) : undefined;
  if (!analysis) return [];
  return analysis.summaries.flatMap((summary, i) => {
    const network = summary.network;
    const line = network.source?.start.line ?? 0;
    const total = summary.total.known ? budgetText(summary.total.value + summary.nonTrainable, analysis.budgets[i]) : `at least ${formatCompact(summary.knownParams)} params (some unknown)`;
    const macs = summary.macs.known ? ` · ${(summary.macs.value / 1e9).toFixed(2)} GMACs @${summary.inputSize}` : '';
    const count: CodeLens = {
      range: { start: { line, character: 0 }, end: { line, character: 0 } },
      command: { title: `${network.name}: ${total}${macs}`, command: 'robustnessLens.showParameterBreakdown', arguments: [params.textDocument.uri, network.name] },
    };
    return [count, ...runLenses(params.textDocument.uri, summary)];
  });
});

connection.languages.inlayHint.on((params): InlayHint[] => {
  const document = documents.get(params.textDocument.uri);
  const analysis = document && settings.inlayHints ? analysisOf(document) : undefined;
  if (!document || !analysis) return [];
  const lines = document.getText().split('\n');
  return countsByLine(analysis.summaries)
    .filter((c) => c.line >= params.range.start.line && c.line <= params.range.end.line)
    .map((c) => ({
      position: { line: c.line, character: (lines[c.line] ?? '').replace(/\s+$/, '').length },
      label: c.label,
      paddingLeft: true,
    }));
});

connection.onHover((params): Hover | undefined => {
  const document = documents.get(params.textDocument.uri);
  const analysis = document ? analysisOf(document) : undefined;
  if (!analysis) return undefined;
  const entry = countsByLine(analysis.summaries).find((c) => c.line === params.position.line);
  if (!entry) return undefined;
  const rows = entry.rows.slice(0, 12).map((r) => `| \`${r.layer.name}\` | ${layerLabel(r.layer)} | ${r.params.known ? formatThousands(r.params.value) : '?'} | ${r.macs.known ? formatThousands(r.macs.value) : '?'} |`);
  const more = entry.rows.length > 12 ? `\n\n…and ${entry.rows.length - 12} more layers` : '';
  const notes = analysis.diagnostics.filter((d) => d.range.start.line === params.position.line && d.code.startsWith('RA')).map((d) => `- **${d.code}** ${d.message}`);
  return {
    contents: {
      kind: MarkupKind.Markdown,
      value: [`**${entry.label.replace(/^# /, '')}**`, '', '| layer | type | params | MACs |', '|---|---|---:|---:|', ...rows].join('\n') + more
        + (notes.length > 0 ? `\n\n**Guidelines**\n${notes.join('\n')}` : ''),
    },
  };
});

connection.onRequest(REQUESTS.paramsReports, (params: { uri: string }): ParamsReport[] => {
  const document = documents.get(params.uri);
  const analysis = document ? analysisOf(document) : undefined;
  return analysis ? analysis.summaries.map((s) => paramsReport(s, analysis.read.diagnostics)) : [];
});

connection.onRequest(REQUESTS.summary, (params: { uri: string }): ModelSummaryInfo | null => {
  const document = documents.get(params.uri);
  const analysis = document ? analysisOf(document) : undefined;
  const summary = analysis?.summaries[0];
  if (!analysis || !summary) return null;
  return {
    name: summary.network.name,
    total: summary.total.known ? summary.total.value + summary.nonTrainable : null,
    knownParams: summary.knownParams,
    budget: analysis.budgets[0] ?? null,
    models: analysis.summaries.length,
  };
});

connection.onRequest(REQUESTS.lintWorkspace, (): { files: number; findings: number } => {
  let files = 0;
  let findings = 0;
  for (const folder of workspaceFolders) {
    for (const file of findModelFiles(folder, (file, message) => connection.console.warn(`${file}: ${message}`))) {
      const uri = URI.file(file).toString();
      if (documents.get(uri)) continue;
      let text: string;
      try {
        text = readTextBounded(file, { maxBytes: MAX_MODEL_FILE_BYTES, root: folder, what: 'model file' });
      } catch (error) {
        connection.console.warn(`lint workspace: ${(error as Error).message}`);
        continue;
      }
      const analysis = analyzer.analyse(uri, file, text, -1, false);
      files++;
      findings += analysis.diagnostics.filter((d) => d.code.startsWith('RA')).length;
      void connection.sendDiagnostics({ uri, diagnostics: analysis.diagnostics.map((d) => toLspDiagnostic(d, extensionRoot)) });
    }
  }
  return { files, findings };
});

documents.onDidOpen((event) => validate(event.document));
documents.onDidChangeContent((event) => schedule(event.document));
documents.onDidClose((event) => {
  clearTimeout(pending.get(event.document.uri));
  pending.delete(event.document.uri);
  analyzer.forget(event.document.uri);
  lastShown.delete(event.document.uri);
  analysisCost.delete(event.document.uri);
  void connection.sendDiagnostics({ uri: event.document.uri, diagnostics: [] });
});

documents.listen(connection);
connection.listen();
