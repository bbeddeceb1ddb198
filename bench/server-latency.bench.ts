import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { bigPyTorchFile, EDIT_MARKER } from './support/big-pytorch-file';
import { median, percentile } from './support/stats';
import { createMessageConnection, StreamMessageReader, StreamMessageWriter } from 'vscode-jsonrpc/node';

// Keystroke-to-diagnostics latency of the language server (dist/server.js, over stdio) on a
// ~2,000-line PyTorch file: each edit appends a character to a comment, then we time until the
// diagnostics for that document version arrive (the server's debounce included).
// Target: median under 50 ms. Prints figures; asserts nothing.

async function main(): Promise<void> {
  const server = spawn(process.execPath, [path.join(process.cwd(), 'dist', 'server.js'), '--stdio'], { stdio: ['pipe', 'pipe', 'inherit'] });
  const connection = createMessageConnection(new StreamMessageReader(server.stdout), new StreamMessageWriter(server.stdin));
  const waiting = new Map<number, () => void>();
  connection.onNotification('textDocument/publishDiagnostics', (params: { version?: number }) => {
    if (params.version !== undefined) waiting.get(params.version)?.();
  });
  connection.onRequest('workspace/configuration', () => [{}]);
  connection.onRequest(() => null);
  connection.listen();
  await connection.sendRequest('initialize', { processId: process.pid, rootUri: null, capabilities: {}, workspaceFolders: null });
  connection.sendNotification('initialized', {});
  const uri = `file://${path.join(process.cwd(), 'big_model.py')}`;
  const text = bigPyTorchFile(2000);
  const lineCount = text.split('\n').length;
  const arrived = (version: number): Promise<void> => new Promise((resolve) => waiting.set(version, resolve));
  let version = 1;
  let ready = arrived(version);
  connection.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'python', version, text } });
  await ready;
  const editLine = text.split('\n').indexOf(EDIT_MARKER);
  const times: number[] = [];
  for (let i = 0; i < 30; i++) {
    version++;
    ready = arrived(version);
    const column = EDIT_MARKER.length + i;
    const start = performance.now();
    connection.sendNotification('textDocument/didChange', {
      textDocument: { uri, version },
      contentChanges: [{ range: { start: { line: editLine, character: column }, end: { line: editLine, character: column } }, text: 'x' }],
    });
    await ready;
    times.push(performance.now() - start);
  }
  console.log(`language server, PyTorch file of ${lineCount} lines: keystroke to diagnostics median ${median(times).toFixed(1)} ms, p95 ${percentile(times, 0.95).toFixed(1)} ms (30 edits, debounce included)`);
  connection.dispose();
  server.kill();
}

void main();
