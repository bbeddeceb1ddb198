import * as vscode from 'vscode';
import { CodeLensRequest, LanguageClient, TransportKind, type DocumentSelector, type LanguageClientOptions, type ServerOptions } from 'vscode-languageclient/node';
import { RUN_COMMANDS } from '../server/run-lenses';
import { withRenderedRuleLinks } from './rule-links';

/** The documents the server analyses: our specs by name, YAML for RobArch's Hydra configs, Python for PyTorch. */
export const MODEL_DOCUMENTS: DocumentSelector = [
  { scheme: 'file', pattern: '**/*.arch.{yaml,yml,json}' },
  { scheme: 'file', language: 'yaml' },
  { scheme: 'file', language: 'python' },
  // TF.js layers models: the engine loads them with their weights (lint and counts come along).
  { scheme: 'file', pattern: '**/model.json' },
];

const RUN_COMMAND_IDS: ReadonlySet<string> = new Set(Object.values(RUN_COMMANDS));

/**
 * The server offers run lenses to every editor; in VS Code's restricted mode they are dropped
 * here, because a run executes the model and reads the data the workspace points at.
 */
function withoutRunLensesUntrusted(lenses: vscode.CodeLens[] | null | undefined): vscode.CodeLens[] | null | undefined {
  if (vscode.workspace.isTrusted || !lenses) return lenses;
  return lenses.filter((lens) => !RUN_COMMAND_IDS.has(lens.command?.command ?? ''));
}

/** Starts the language server in its own Node process; all analysis happens there. */
export function startLanguageClient(context: vscode.ExtensionContext, output: vscode.OutputChannel): LanguageClient {
  const module = context.asAbsolutePath('dist/server.js');
  const serverOptions: ServerOptions = {
    run: { module, transport: TransportKind.ipc },
    debug: { module, transport: TransportKind.ipc, options: { execArgv: ['--nolazy', '--inspect=6029'] } },
  };
  const clientOptions: LanguageClientOptions = {
    documentSelector: MODEL_DOCUMENTS,
    outputChannel: output,
    middleware: {
      provideCodeLenses: async (document, token, next) => withoutRunLensesUntrusted(await next(document, token)),
      handleDiagnostics: (uri, diagnostics, next) => next(uri, withRenderedRuleLinks(diagnostics)),
    },
    synchronize: {
      fileEvents: vscode.workspace.createFileSystemWatcher('**/{robustness-lens.toml,pyproject.toml}'),
    },
  };
  const client = new LanguageClient('robustnessLens', 'Robustness Lens', serverOptions, clientOptions);
  void client.start();
  // Trusting the folder adds the run lenses to the editors already open.
  context.subscriptions.push(vscode.workspace.onDidGrantWorkspaceTrust(() => {
    const feature = client.getFeature(CodeLensRequest.method);
    for (const editor of vscode.window.visibleTextEditors) feature.getProvider(editor.document)?.onDidChangeCodeLensEmitter.fire();
  }));
  return client;
}
