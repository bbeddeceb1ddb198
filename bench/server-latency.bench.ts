import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { createMessageConnection, StreamMessageReader, StreamMessageWriter } from 'vscode-jsonrpc/node';

// Keystroke-to-diagnostics latency of the language server (dist/server.js, over stdio) on a
// ~2,000-line PyTorch file: each edit appends a character to a comment, then we time until the
// diagnostics for that document version arrive (the server's debounce included).
// Target: median under 50 ms. Prints figures; asserts nothing.

function bigFile(lines: number): string {
  const sources = ['examples/pytorch/resnet.py', 'examples/pytorch/robarch_s.py'].map((f) => fs.readFileSync(f, 'utf8'));
  const imports = new Set<string>();
  const bodies: string[] = [];
  for (let copy = 0; bodies.join('\n').split('\n').length < lines; copy++) {
    for (const source of sources) {
      const body = source.split('\n').filter((line) => !(/^(import|from) /.test(line) && imports.add(line))).join('\n');
      const names = [...body.matchAll(/^(?:class|def) (\w+)|^([A-Z_]+) =/gm)].map((m) => m[1] ?? m[2] ?? '');
      bodies.push(names.reduce((text, name) => text.replace(new RegExp(`\\b${name}\\b`, 'g'), `${name}_${copy}`), body));
    }
  }
  return `${[...imports].join('\n')}\n# edits go here: \n${bodies.join('\n')}`;
}

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
  const text = bigFile(2000);
  const lineCount = text.split('\n').length;
  const arrived = (version: number): Promise<void> => new Promise((resolve) => waiting.set(version, resolve));
  let version = 1;
  let ready = arrived(version);
  connection.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'python', version, text } });
  await ready;
  const editLine = text.split('\n').findIndex((l) => l.startsWith('# edits go here'));
  const times: number[] = [];
  for (let i = 0; i < 30; i++) {
    version++;
    ready = arrived(version);
    const column = '# edits go here: '.length + i;
    const start = performance.now();
    connection.sendNotification('textDocument/didChange', {
      textDocument: { uri, version },
      contentChanges: [{ range: { start: { line: editLine, character: column }, end: { line: editLine, character: column } }, text: 'x' }],
    });
    await ready;
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  console.log(`language server, PyTorch file of ${lineCount} lines: keystroke to diagnostics median ${(times[15] ?? NaN).toFixed(1)} ms, p95 ${(times[28] ?? NaN).toFixed(1)} ms (30 edits, debounce included)`);
  connection.dispose();
  server.kill();
}

void main();
