import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { bigPyTorchFile, EDIT_MARKER } from './support/big-pytorch-file';
import { median, percentile } from './support/stats';
import { createMessageConnection, StreamMessageReader, StreamMessageWriter } from 'vscode-jsonrpc/node';

// Keystroke-to-diagnostics latency of the language server (dist/server.js, over stdio) on a
// ~2,000-line PyTorch file: for three kinds of edit (a character in a comment, a digit in a
// model's class, a new line above all models) we time from the change until the diagnostics
// for that document version arrive (the server's debounce included).
// Target: median under 50 ms. Prints figures; asserts nothing.

async function main(): Promise<void> {
  const server = spawn(process.execPath, [path.join(process.cwd(), 'dist', 'server.js'), '--stdio'], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const connection = createMessageConnection(
    new StreamMessageReader(server.stdout),
    new StreamMessageWriter(server.stdin),
  );
  const waiting = new Map<number, () => void>();
  connection.onNotification('textDocument/publishDiagnostics', (params: { version?: number }) => {
    if (params.version !== undefined) waiting.get(params.version)?.();
  });
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
  const uri = `file://${path.join(process.cwd(), 'big_model.py')}`;
  const text = bigPyTorchFile(2000);
  const lineCount = text.split('\n').length;
  const arrived = (version: number): Promise<void> => new Promise((resolve) => waiting.set(version, resolve));
  let version = 1;
  let ready = arrived(version);
  connection.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'python', version, text } });
  await ready;
  const lines = text.split('\n');
  /** Times `count` single-character edits made by `edit` (which returns the change for edit i). */
  const measure = async (
    label: string,
    count: number,
    edit: (i: number) => { line: number; character: number; remove: number; text: string },
  ): Promise<void> => {
    const times: number[] = [];
    for (let i = 0; i < count; i++) {
      version++;
      ready = arrived(version);
      const change = edit(i);
      const start = performance.now();
      connection.sendNotification('textDocument/didChange', {
        textDocument: { uri, version },
        contentChanges: [
          {
            range: {
              start: { line: change.line, character: change.character },
              end: { line: change.line, character: change.character + change.remove },
            },
            text: change.text,
          },
        ],
      });
      await ready;
      times.push(performance.now() - start);
    }
    console.log(
      `language server, PyTorch file of ${lineCount} lines, ${label}: keystroke to ` +
        `diagnostics median ${median(times).toFixed(1)} ms, p95 ` +
        `${percentile(times, 0.95).toFixed(1)} ms (${count} edits, debounce included)`,
    );
  };
  // Typing in a comment: no model changes.
  const commentLine = lines.indexOf(EDIT_MARKER);
  await measure('typing in a comment', 30, (i) => ({
    line: commentLine,
    character: EDIT_MARKER.length + i,
    remove: 0,
    text: 'x',
  }));
  // Changing a width inside one model's class (64 <-> 65): the models built from it are re-read.
  const widthLine = lines.findIndex((l) => /self\.inplanes = 64$/.test(l));
  const widthColumn = (lines[widthLine] ?? '').length - 1;
  await measure('changing a digit in a model class', 30, (i) => ({
    line: widthLine,
    character: widthColumn,
    remove: 1,
    text: i % 2 === 0 ? '5' : '4',
  }));
  // Enter at the top: every model below moves down a line.
  await measure('a new line above every model', 10, () => ({ line: commentLine, character: 0, remove: 0, text: '\n' }));
  connection.dispose();
  server.kill();
}

void main();
