import * as path from 'node:path';
import {
  ensurePythonParser,
  FileReadError,
  findModelFiles,
  MAX_MODEL_FILE_BYTES,
  pointRange,
  readTextBounded,
} from '../core';
import {
  READY,
  type AnalysisQueries,
  type AnalysisRequest,
  type AnalysisResponse,
  type DocumentRef,
  type QueryKind,
} from './analysis-protocol';
import { Analyzer, type DocumentAnalysis } from './document-analysis';
import { codeLensesOf, hoverOf, inlayHintsOf, paramsReportsOf, shownKey, summaryInfoOf } from './document-views';
import { DEFAULT_SETTINGS, type ServerSettings } from './settings';
import { toLspDiagnostic } from './to-lsp';

/**
 * The analysis process: reads, counts and lints what the language server sends, one request at
 * a time. It keeps the per-document caches and incremental re-read memos, so a keystroke costs
 * here what it cost in the server before; the server kills and restarts it when a request runs
 * past its time or memory budget.
 */

// dist/server.js -> the extension's root, where docs/rules lives.
const extensionRoot = path.join(__dirname, '..');
let settings: ServerSettings = DEFAULT_SETTINGS;
let settingsKey = JSON.stringify(settings);
const analyzer = new Analyzer(() => settings);

function analysisOf(doc: DocumentRef): DocumentAnalysis | undefined {
  if (!settings.enable || !analyzer.isModelFile(doc.file, doc.text)) return undefined;
  return analyzer.analyse(doc.uri, doc.file, doc.text, doc.version, doc.open);
}

type Handlers = { [K in QueryKind]: (query: AnalysisQueries[K]['query']) => AnalysisQueries[K]['answer'] };

const handlers: Handlers = {
  diagnostics: ({ doc }) => {
    const analysis = analysisOf(doc);
    return {
      diagnostics: (analysis?.diagnostics ?? []).map((d) => toLspDiagnostic(d, extensionRoot)),
      shown: shownKey(analysis),
    };
  },
  codeLenses: ({ doc }) => {
    const analysis = analysisOf(doc);
    return analysis ? codeLensesOf(doc.uri, analysis) : [];
  },
  inlayHints: ({ doc, fromLine, toLine }) => {
    const analysis = settings.inlayHints ? analysisOf(doc) : undefined;
    return analysis ? inlayHintsOf(analysis, doc.text, fromLine, toLine) : [];
  },
  hover: ({ doc, line }) => {
    const analysis = analysisOf(doc);
    return (analysis && hoverOf(analysis, line)) ?? null;
  },
  paramsReports: ({ doc }) => {
    const analysis = analysisOf(doc);
    return analysis ? paramsReportsOf(analysis) : [];
  },
  summary: ({ doc }) => {
    const analysis = analysisOf(doc);
    return analysis ? summaryInfoOf(analysis) : null;
  },
  lintFile: ({ doc }) => {
    let text: string;
    try {
      text = readTextBounded(doc.file, { maxBytes: MAX_MODEL_FILE_BYTES, what: 'model file' });
    } catch (error) {
      if (!(error instanceof FileReadError)) throw error;
      // A FIFO, a link to a device or an oversized file is reported on the file, not read.
      const problem = {
        file: doc.file,
        range: pointRange(0, 0),
        severity: 'warning' as const,
        code: 'RL100',
        message: error.message,
      };
      return { diagnostics: [toLspDiagnostic(problem, extensionRoot)], findings: 0 };
    }
    const analysis = analyzer.analyse(doc.uri, doc.file, text, -1, false);
    return {
      diagnostics: analysis.diagnostics.map((d) => toLspDiagnostic(d, extensionRoot)),
      findings: analysis.diagnostics.filter((d) => d.code.startsWith('RA')).length,
    };
  },
  // A .gitignore that cannot be read is skipped (its rules are not applied); the files are still found.
  modelFiles: ({ folders }) => folders.flatMap((folder) => findModelFiles(folder, () => undefined)),
  invalidate: () => {
    analyzer.invalidate();
    return null;
  },
  forget: ({ uri }) => {
    analyzer.forget(uri);
    return null;
  },
};

function answer(request: AnalysisRequest): AnalysisResponse {
  const key = JSON.stringify(request.settings);
  if (key !== settingsKey) {
    settings = request.settings;
    settingsKey = key;
    analyzer.invalidate();
  }
  try {
    const handler = handlers[request.kind] as (query: unknown) => unknown;
    return { id: request.id, ok: true, answer: handler(request.query) };
  } catch (error) {
    return { id: request.id, ok: false, error: error instanceof Error ? error.message : String(error) };
  }
}

export function runAnalysisWorker(): void {
  const send = (response: AnalysisResponse): void => {
    process.send?.(response);
  };
  // The server sends nothing before this process says it is ready (the Python grammar loaded),
  // so a request's time budget counts the analysis, not the start.
  process.on('message', (request: AnalysisRequest) => send(answer(request)));
  ensurePythonParser().then(
    () => process.send?.(READY),
    (error: unknown) => {
      process.stderr.write(`the Python grammar did not load: ${String(error)}\n`);
      process.exit(1);
    },
  );
  // The server went away: nothing is left to answer.
  process.on('disconnect', () => process.exit(0));
}
