import { performance } from 'node:perf_hooks';
import {
  CodeActionKind,
  CodeLensRefreshRequest,
  createConnection,
  DiagnosticSeverity,
  DidChangeConfigurationNotification,
  ProposedFeatures,
  TextDocuments,
  TextDocumentSyncKind,
  type CodeLens,
  type Connection,
  type Diagnostic as LspDiagnostic,
  type Hover,
  type InlayHint,
} from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { URI } from 'vscode-uri';
import type { ParamsReport } from '../core';
import { AnalysisPool, AnalysisStopped, Superseded } from './analysis-client';
import type { AnalysisQueries, DocumentRef, QueryKind } from './analysis-protocol';
import { codeActionsFor } from './code-actions';
import { FIX_ALL_KIND, fixAllAction, wantsFixAll } from './fix-all';
import { REQUESTS, type ModelSummaryInfo } from './protocol';
import { DEFAULT_SETTINGS, parseSettings, resolveSearchPath, type ServerSettings } from './settings';

/**
 * Analysis waits for a pause in typing. A re-read after a keystroke reuses what the edit did not
 * touch and usually costs a few milliseconds, so a short pause is enough; an expensive analysis
 * (a first read, a file that changed everywhere) waits as long as it took, up to 150 ms, so a
 * burst of changes keeps the analysis at most half busy.
 */
const DEBOUNCE_MIN_MS = 15;
const DEBOUNCE_MAX_MS = 150;
/** An analysis cheaper than this can run after every keystroke of fast typing (~10 per second). */
const CHEAP_ANALYSIS_MS = 50;

function fileOf(uri: string): string {
  return URI.parse(uri).fsPath;
}

/** The diagnostic a document gets when its analysis ran past a budget (line 1: the whole file). */
function stoppedDiagnostic(reason: string): LspDiagnostic {
  return {
    range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } },
    severity: DiagnosticSeverity.Error,
    source: 'robustness-lens',
    code: 'RL113',
    message: `analysis stopped: ${reason}; Robustness Lens does not analyse this version of the file`,
  };
}

/**
 * The language server owns all analysis so every LSP editor gets the same behaviour; the VS Code
 * client only displays what it answers. This process only holds documents and talks LSP: every
 * read of a model file happens in the analysis process, under a time and a memory budget.
 */
export function startLanguageServer(): void {
  const connection: Connection = createConnection(ProposedFeatures.all);
  const documents = new TextDocuments(TextDocument);
  const pending = new Map<string, NodeJS.Timeout>();
  const analysisCost = new Map<string, number>();
  const lastShown = new Map<string, string>();
  /** Documents whose analysis was stopped, with the version and why: asking again would stop again. */
  const stopped = new Map<string, { version: number; reason: string }>();
  let settings: ServerSettings = DEFAULT_SETTINGS;
  let workspaceFolders: string[] = [];
  const analysis = new AnalysisPool(__filename, () => settings);
  /**
   * The newest version whose diagnostics were published: an older answer from the other process must not replace them.
   */
  const publishedVersion = new Map<string, number>();

  const debounceFor = (uri: string): number => {
    const cost = analysisCost.get(uri) ?? DEBOUNCE_MAX_MS;
    return cost < CHEAP_ANALYSIS_MS ? DEBOUNCE_MIN_MS : Math.min(DEBOUNCE_MAX_MS, cost);
  };

  const refOf = (document: TextDocument): DocumentRef => ({
    uri: document.uri,
    file: fileOf(document.uri),
    version: document.version,
    text: document.getText(),
    open: true,
  });

  const publishStopped = (uri: string, version: number | undefined, reason: string): void => {
    void connection.sendDiagnostics({ uri, version, diagnostics: [stoppedDiagnostic(reason)] });
  };

  /**
   * Asks the analysis process about one document version. Undefined when the request was
   * superseded; `fallback` when the analysis failed (a stopped one also publishes why).
   */
  const ask = async <K extends QueryKind>(
    kind: K,
    query: AnalysisQueries[K]['query'] & { doc: DocumentRef },
    fallback: AnalysisQueries[K]['answer'] | undefined,
    supersede = false,
  ): Promise<AnalysisQueries[K]['answer'] | undefined> => {
    const { uri, version } = query.doc;
    const stop = stopped.get(uri);
    if (stop?.version === version) return fallback;
    try {
      return await analysis.request(kind, query, supersede ? `${kind}:${uri}` : undefined);
    } catch (error) {
      if (error instanceof Superseded) return undefined;
      if (error instanceof AnalysisStopped) {
        stopped.set(uri, { version, reason: error.reason });
        publishStopped(uri, version, error.reason);
      } else {
        connection.console.error(`analysis of ${uri} failed: ${(error as Error).message}`);
      }
      return fallback;
    }
  };

  const refreshViews = (): void => {
    void connection.sendRequest(CodeLensRefreshRequest.type).catch(() => undefined);
    void connection.languages.inlayHint.refresh().catch(() => undefined);
  };

  const validate = async (document: TextDocument): Promise<void> => {
    const started = performance.now();
    const doc = refOf(document);
    const result = await ask('diagnostics', { doc }, undefined, true);
    if (result === undefined) return;
    analysisCost.set(doc.uri, performance.now() - started);
    // Closed while it ran: its diagnostics were cleared and must stay so.
    if (!documents.get(doc.uri) || (publishedVersion.get(doc.uri) ?? -Infinity) > doc.version) return;
    publishedVersion.set(doc.uri, doc.version);
    void connection.sendDiagnostics({ uri: doc.uri, version: doc.version, diagnostics: result.diagnostics });
    // The editor may have asked for lenses and hints before this analysis existed: ask again,
    // but only when what they show changed (each refresh makes every editor re-request).
    // The first analysis of a document needs no refresh: the editor asks when it opens it.
    const before = lastShown.get(doc.uri);
    lastShown.set(doc.uri, result.shown);
    if (before !== undefined && before !== result.shown) refreshViews();
  };

  const schedule = (document: TextDocument): void => {
    clearTimeout(pending.get(document.uri));
    pending.set(
      document.uri,
      setTimeout(() => {
        pending.delete(document.uri);
        void validate(document);
      }, debounceFor(document.uri)),
    );
  };

  const revalidateAll = (): void => {
    void analysis.request('invalidate', {}).catch(() => undefined);
    stopped.clear();
    for (const document of documents.all()) void validate(document);
  };

  const refreshSettings = async (): Promise<void> => {
    settings = resolveSearchPath(
      parseSettings(await connection.workspace.getConfiguration('robustnessLens')),
      workspaceFolders,
    );
    revalidateAll();
    refreshViews();
  };

  connection.onInitialize((params) => {
    workspaceFolders = (params.workspaceFolders ?? []).map((f) => fileOf(f.uri));
    return {
      capabilities: {
        textDocumentSync: TextDocumentSyncKind.Incremental,
        codeActionProvider: { codeActionKinds: [CodeActionKind.QuickFix, FIX_ALL_KIND] },
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
  connection.onDidChangeWatchedFiles(() => revalidateAll());

  // Quick fixes are text edits built here; fix-all needs the whole document's findings from the analysis.
  connection.onCodeAction(async (params) => {
    const document = documents.get(params.textDocument.uri);
    if (!document) return [];
    if (wantsFixAll(params.context.only)) {
      // On save the request's diagnostics are those of a range: fix-all takes the whole document's.
      const all = await ask('diagnostics', { doc: refOf(document) }, undefined);
      const action = all ? fixAllAction(document.uri, all.diagnostics) : undefined;
      return action ? [action] : [];
    }
    return codeActionsFor(document.uri, document.getText(), params.context.diagnostics);
  });

  connection.onCodeLens(async (params): Promise<CodeLens[]> => {
    const document = documents.get(params.textDocument.uri);
    return document ? ((await ask('codeLenses', { doc: refOf(document) }, [])) ?? []) : [];
  });

  connection.languages.inlayHint.on(async (params): Promise<InlayHint[]> => {
    const document = documents.get(params.textDocument.uri);
    if (!document || !settings.inlayHints) return [];
    const query = { doc: refOf(document), fromLine: params.range.start.line, toLine: params.range.end.line };
    return (await ask('inlayHints', query, [])) ?? [];
  });

  connection.onHover(async (params): Promise<Hover | undefined> => {
    const document = documents.get(params.textDocument.uri);
    return document
      ? ((await ask('hover', { doc: refOf(document), line: params.position.line }, null)) ?? undefined)
      : undefined;
  });

  connection.onRequest(REQUESTS.paramsReports, async (params: { uri: string }): Promise<ParamsReport[]> => {
    const document = documents.get(params.uri);
    return document ? ((await ask('paramsReports', { doc: refOf(document) }, [])) ?? []) : [];
  });

  connection.onRequest(REQUESTS.summary, async (params: { uri: string }): Promise<ModelSummaryInfo | null> => {
    const document = documents.get(params.uri);
    return document ? ((await ask('summary', { doc: refOf(document) }, null)) ?? null) : null;
  });

  connection.onRequest(REQUESTS.lintWorkspace, async (): Promise<{ files: number; findings: number }> => {
    let files = 0;
    let findings = 0;
    const found = await analysis.request('modelFiles', { folders: workspaceFolders }).catch(() => [] as string[]);
    for (const file of found) {
      const uri = URI.file(file).toString();
      if (documents.get(uri)) continue;
      files++;
      try {
        const linted = await analysis.request('lintFile', { doc: { uri, file } });
        findings += linted.findings;
        void connection.sendDiagnostics({ uri, diagnostics: linted.diagnostics });
      } catch (error) {
        // One file that cannot be analysed loses its own findings, not the others'.
        const reason = error instanceof AnalysisStopped ? error.reason : `internal error (${(error as Error).message})`;
        publishStopped(uri, undefined, reason);
      }
    }
    return { files, findings };
  });

  documents.onDidOpen((event) => void validate(event.document));
  documents.onDidChangeContent((event) => schedule(event.document));
  documents.onDidClose((event) => {
    const uri = event.document.uri;
    clearTimeout(pending.get(uri));
    pending.delete(uri);
    void analysis.request('forget', { uri }).catch(() => undefined);
    lastShown.delete(uri);
    analysisCost.delete(uri);
    publishedVersion.delete(uri);
    stopped.delete(uri);
    void connection.sendDiagnostics({ uri, diagnostics: [] });
  });
  connection.onShutdown(() => analysis.dispose());
  connection.onExit(() => analysis.dispose());

  documents.listen(connection);
  connection.listen();
}
