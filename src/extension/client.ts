import * as vscode from 'vscode';
import { LanguageClient, TransportKind, type DocumentSelector, type LanguageClientOptions, type ServerOptions } from 'vscode-languageclient/node';

/** The documents the server analyses: our specs by name, YAML for RobArch's Hydra configs, Python for PyTorch. */
export const MODEL_DOCUMENTS: DocumentSelector = [
  { scheme: 'file', pattern: '**/*.arch.{yaml,yml,json}' },
  { scheme: 'file', language: 'yaml' },
  { scheme: 'file', language: 'python' },
];

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
    synchronize: {
      fileEvents: vscode.workspace.createFileSystemWatcher('**/{robustness-lens.toml,pyproject.toml}'),
    },
  };
  const client = new LanguageClient('robustnessLens', 'Robustness Lens', serverOptions, clientOptions);
  void client.start();
  return client;
}
