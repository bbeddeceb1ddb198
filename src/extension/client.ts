import * as vscode from 'vscode';
import {
  CodeLensRequest,
  DidChangeConfigurationNotification,
  LanguageClient,
  TransportKind,
  type DocumentSelector,
  type LanguageClientOptions,
  type ServerOptions,
} from 'vscode-languageclient/node';
import { RUN_COMMANDS } from '../server/run-lenses';
import { INTERPRETER_SEARCH_PATH_KEY } from '../server/protocol';
import { SysPathCache } from './interpreter-search-path';
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

/**
 * The server pulls `robustnessLens` settings; in a trusted workspace with `robustnessLens.python.path`
 * set, the interpreter's `sys.path` is added under `python.interpreterSearchPath`, so imports of
 * installed packages (torchvision, timm) are followed. Nothing is run in an untrusted workspace.
 */
async function withInterpreterSearchPath(section: unknown, sysPaths: SysPathCache): Promise<unknown> {
  if (!vscode.workspace.isTrusted || typeof section !== 'object' || section === null) return section;
  const python = vscode.workspace.getConfiguration('robustnessLens').get<string>('python.path')?.trim();
  if (!python) return section;
  const settings = section as Record<string, unknown>;
  const own = typeof settings.python === 'object' && settings.python !== null ? settings.python : {};
  return { ...settings, python: { ...own, [INTERPRETER_SEARCH_PATH_KEY]: await sysPaths.folders(python) } };
}

/** Starts the language server in its own Node process; all analysis happens there. */
export function startLanguageClient(context: vscode.ExtensionContext, output: vscode.OutputChannel): LanguageClient {
  const module = context.asAbsolutePath('dist/server.js');
  const serverOptions: ServerOptions = {
    run: { module, transport: TransportKind.ipc },
    debug: { module, transport: TransportKind.ipc, options: { execArgv: ['--nolazy', '--inspect=6029'] } },
  };
  const sysPaths = new SysPathCache((line) => output.appendLine(line));
  const clientOptions: LanguageClientOptions = {
    documentSelector: MODEL_DOCUMENTS,
    outputChannel: output,
    middleware: {
      provideCodeLenses: async (document, token, next) => withoutRunLensesUntrusted(await next(document, token)),
      workspace: {
        configuration: async (params, token, next) => {
          const answers = await next(params, token);
          if (!Array.isArray(answers)) return answers;
          return Promise.all(
            answers.map((a, i) =>
              params.items[i]?.section === 'robustnessLens' ? withInterpreterSearchPath(a, sysPaths) : a,
            ),
          );
        },
      },
      handleDiagnostics: (uri, diagnostics, next) => next(uri, withRenderedRuleLinks(diagnostics)),
    },
    synchronize: {
      fileEvents: vscode.workspace.createFileSystemWatcher('**/{robustness-lens.toml,pyproject.toml}'),
    },
  };
  const client = new LanguageClient('robustnessLens', 'Robustness Lens', serverOptions, clientOptions);
  void client.start();
  // Trusting the folder adds the run lenses to the editors already open.
  context.subscriptions.push(
    vscode.workspace.onDidGrantWorkspaceTrust(() => {
      // The interpreter may be asked now: the server pulls its settings again.
      void client.sendNotification(DidChangeConfigurationNotification.type, { settings: null });
      const feature = client.getFeature(CodeLensRequest.method);
      for (const editor of vscode.window.visibleTextEditors)
        feature.getProvider(editor.document)?.onDidChangeCodeLensEmitter.fire();
    }),
  );
  context.subscriptions.push(
    vscode.workspace.onDidChangeConfiguration((event) => {
      if (event.affectsConfiguration('robustnessLens.python.path')) sysPaths.clear();
    }),
  );
  return client;
}
