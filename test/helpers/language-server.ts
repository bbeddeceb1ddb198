import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as esbuild from 'esbuild';
import {
  createMessageConnection,
  StreamMessageReader,
  StreamMessageWriter,
  type MessageConnection,
} from 'vscode-jsonrpc/node';
import { repoPath } from './paths';

/** Diagnostics as the server publishes them (the parts the tests read). */
export interface Published {
  readonly uri: string;
  readonly version?: number;
  readonly diagnostics: readonly {
    readonly code?: string | number;
    readonly message: string;
    readonly range: { start: { line: number } };
  }[];
}

export interface ServerUnderTest {
  readonly connection: MessageConnection;
  readonly process: ChildProcess;
  /** What the server logged (window/logMessage). */
  readonly log: string[];
  /** Resolves with the next diagnostics published for `uri` that satisfy `accept`. */
  diagnosticsFor(uri: string, accept?: (p: Published) => boolean): Promise<Published>;
  stop(): void;
}

/**
 * Bundles an entry point as `node esbuild.js` does (the Python grammar next to it) into a
 * temporary folder, so a test runs the real program built from this checkout.
 */
export async function bundleEntry(name: string, source: string): Promise<string> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `robustness-lens-${name}-`));
  // Not after(): called from a before() hook, that would remove it as soon as the hook ends,
  // while the server still forks analysis processes from it.
  process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  await esbuild.build({
    entryPoints: { [name]: repoPath(source) },
    outdir: dir,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    mainFields: ['module', 'main'],
    external: ['vscode', 'onnxruntime-node', '@tensorflow/tfjs-node', '@tensorflow/tfjs-node-gpu'],
    banner: { js: "const __importMetaUrl = require('node:url').pathToFileURL(__filename).href;" },
    define: { 'import.meta.url': '__importMetaUrl' },
    logLevel: 'silent',
  });
  for (const wasm of [
    'node_modules/web-tree-sitter/tree-sitter.wasm',
    'node_modules/tree-sitter-python/tree-sitter-python.wasm',
  ]) {
    fs.copyFileSync(repoPath(wasm), path.join(dir, path.basename(wasm)));
  }
  return path.join(dir, `${name}.js`);
}

/** The language server built from this checkout. */
export function buildServer(): Promise<string> {
  return bundleEntry('server', 'src/server/server.ts');
}

/** Starts the built server over stdio and initializes it as an editor would. */
export async function startServer(script: string, env: NodeJS.ProcessEnv = {}): Promise<ServerUnderTest> {
  const child = spawn(process.execPath, [script, '--stdio'], {
    stdio: ['pipe', 'pipe', 'inherit'],
    env: { ...process.env, ...env },
  });
  const connection = createMessageConnection(
    new StreamMessageReader(child.stdout),
    new StreamMessageWriter(child.stdin),
  );
  const waiters: { uri: string; accept: (p: Published) => boolean; resolve: (p: Published) => void }[] = [];
  connection.onNotification('textDocument/publishDiagnostics', (params: Published) => {
    for (const waiter of [...waiters]) {
      if (waiter.uri === params.uri && waiter.accept(params)) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(params);
      }
    }
  });
  const log: string[] = [];
  connection.onNotification('window/logMessage', (params: { message: string }) => log.push(params.message));
  connection.onRequest('workspace/configuration', () => [{}]);
  connection.onRequest(() => null);
  connection.listen();
  await connection.sendRequest('initialize', {
    processId: process.pid,
    rootUri: null,
    capabilities: {},
    workspaceFolders: null,
  });
  connection.sendNotification('initialized', {});
  return {
    connection,
    process: child,
    log,
    diagnosticsFor: (uri, accept = () => true) => new Promise((resolve) => waiters.push({ uri, accept, resolve })),
    stop: () => {
      // Writes still pending when the stream closes would reject after the test ended.
      child.stdin.on('error', () => undefined);
      connection.onError(() => undefined);
      connection.dispose();
      child.kill();
    },
  };
}

/** `promise`, or a rejection naming `what` when it has not settled within `ms`. */
export function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms / 1000} s`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Resident memory of a process and all its descendants, in MB (Linux /proc; 0 elsewhere). */
export function treeResidentMb(pid: number): number {
  let total = 0;
  const visit = (id: number): void => {
    try {
      total += (Number(fs.readFileSync(`/proc/${id}/statm`, 'utf8').split(' ')[1]) * 4096) / (1024 * 1024);
      for (const task of fs.readdirSync(`/proc/${id}/task`)) {
        const children = fs.readFileSync(`/proc/${id}/task/${task}/children`, 'utf8').trim();
        for (const child of children ? children.split(/\s+/) : []) visit(Number(child));
      }
    } catch {
      // The process ended between two reads.
    }
  };
  visit(pid);
  return total;
}
