import { createConnection, ProposedFeatures, TextDocuments, TextDocumentSyncKind } from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { URI } from 'vscode-uri';
import { detectFormat, readModelFile } from '../core';
import { toLspDiagnostic } from './to-lsp';

// The language server: owns all analysis so every LSP editor gets the same behaviour.
const connection = createConnection(ProposedFeatures.all);
const documents = new TextDocuments(TextDocument);
const pending = new Map<string, NodeJS.Timeout>();
const DEBOUNCE_MS = 200;

function validate(document: TextDocument): void {
  const file = URI.parse(document.uri).fsPath;
  const text = document.getText();
  if (!detectFormat(file, text)) {
    void connection.sendDiagnostics({ uri: document.uri, diagnostics: [] });
    return;
  }
  const result = readModelFile(file, text);
  void connection.sendDiagnostics({ uri: document.uri, version: document.version, diagnostics: result.diagnostics.map(toLspDiagnostic) });
}

function schedule(document: TextDocument): void {
  clearTimeout(pending.get(document.uri));
  pending.set(document.uri, setTimeout(() => {
    pending.delete(document.uri);
    validate(document);
  }, DEBOUNCE_MS));
}

connection.onInitialize(() => ({
  capabilities: { textDocumentSync: TextDocumentSyncKind.Incremental },
  serverInfo: { name: 'robustness-lens' },
}));

documents.onDidOpen((event) => validate(event.document));
documents.onDidChangeContent((event) => schedule(event.document));
documents.onDidClose((event) => {
  clearTimeout(pending.get(event.document.uri));
  pending.delete(event.document.uri);
  void connection.sendDiagnostics({ uri: event.document.uri, diagnostics: [] });
});

documents.listen(connection);
connection.listen();
