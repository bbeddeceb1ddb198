import * as fs from 'node:fs';
import * as path from 'node:path';
import { CodeActionKind, createConnection, ProposedFeatures, TextDocuments, TextDocumentSyncKind } from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { URI } from 'vscode-uri';
import { detectFormat, ensurePythonParser, findLintConfig, lintReadResult, readModelFile, type FoundConfig } from '../core';
import { codeActionsFor } from './code-actions';
import { toLspDiagnostic } from './to-lsp';

// The language server: owns all analysis so every LSP editor gets the same behaviour.
const connection = createConnection(ProposedFeatures.all);
const documents = new TextDocuments(TextDocument);
const pending = new Map<string, NodeJS.Timeout>();
const configs = new Map<string, FoundConfig>();
const DEBOUNCE_MS = 200;
// dist/server.js -> the extension's root, where docs/rules lives.
const extensionRoot = path.join(__dirname, '..');

function readIfExists(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

function configFor(file: string): FoundConfig {
  const dir = path.dirname(file);
  let found = configs.get(dir);
  if (!found) {
    found = findLintConfig(dir, readIfExists);
    configs.set(dir, found);
  }
  return found;
}

function validate(document: TextDocument): void {
  const file = URI.parse(document.uri).fsPath;
  const text = document.getText();
  if (!detectFormat(file, text)) {
    void connection.sendDiagnostics({ uri: document.uri, diagnostics: [] });
    return;
  }
  const config = configFor(file);
  const diagnostics = lintReadResult(readModelFile(file, text), text, { config: config.config });
  void connection.sendDiagnostics({
    uri: document.uri,
    version: document.version,
    diagnostics: diagnostics.map((d) => toLspDiagnostic(d, extensionRoot)),
  });
}

function schedule(document: TextDocument): void {
  clearTimeout(pending.get(document.uri));
  pending.set(document.uri, setTimeout(() => {
    pending.delete(document.uri);
    validate(document);
  }, DEBOUNCE_MS));
}

connection.onInitialize(async () => {
  // The Python grammar (WebAssembly, next to this bundle) loads once, before any document.
  await ensurePythonParser();
  return {
    capabilities: {
      textDocumentSync: TextDocumentSyncKind.Incremental,
      codeActionProvider: { codeActionKinds: [CodeActionKind.QuickFix] },
    },
    serverInfo: { name: 'robustness-lens' },
  };
});

connection.onCodeAction((params) => {
  const document = documents.get(params.textDocument.uri);
  if (!document) return [];
  return codeActionsFor(document.uri, document.getText(), params.context.diagnostics);
});

// A changed config file changes every diagnostic: forget what was found and validate again.
connection.onDidChangeWatchedFiles(() => {
  configs.clear();
  for (const document of documents.all()) validate(document);
});

documents.onDidOpen((event) => validate(event.document));
documents.onDidChangeContent((event) => schedule(event.document));
documents.onDidClose((event) => {
  clearTimeout(pending.get(event.document.uri));
  pending.delete(event.document.uri);
  void connection.sendDiagnostics({ uri: event.document.uri, diagnostics: [] });
});

documents.listen(connection);
connection.listen();
