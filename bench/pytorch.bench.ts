import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { bigPyTorchFile, EDIT_MARKER } from './support/big-pytorch-file';
import { median, percentile } from './support/stats';
import { ensurePythonParser, lintReadResult, networksOf, PythonReadMemo, readModelFile, summarize } from '../src/core';

// Parse + lint + count of a ~2,000-line PyTorch file: from scratch (the CLI, opening a file) and
// re-read after one edit with the memo the language server keeps per open document (its work per
// keystroke). Target: median under 20 ms. The file is the PyTorch examples repeated with renamed classes,
// so every copy is evaluated. Prints figures; asserts nothing.

async function main(): Promise<void> {
  await ensurePythonParser(path.join(process.cwd(), 'dist-test'));
  const text = bigPyTorchFile(2000);
  const file = 'big_model.py';
  let models = 0;
  let params = 0;
  const run = (): void => {
    const read = readModelFile(file, text);
    lintReadResult(read, text);
    models = networksOf(read).length;
    params = networksOf(read).reduce((sum, n) => sum + summarize(n).knownParams, 0);
  };
  for (let i = 0; i < 5; i++) run();
  const times: number[] = [];
  for (let i = 0; i < 40; i++) {
    const start = performance.now();
    run();
    times.push(performance.now() - start);
  }
  console.log(`PyTorch file of ${text.split('\n').length} lines, ${models} models, ${params.toLocaleString('en-US')} params: parse + count + lint from scratch median ${median(times).toFixed(1)} ms, p95 ${percentile(times, 0.95).toFixed(1)} ms (40 runs)`);

  // What the language server does per keystroke: the same file re-read with its memo after one
  // edit, for three kinds of edit.
  const edits: [string, (t: string, i: number) => string][] = [
    ['a character typed in a comment', (t) => t.replace(EDIT_MARKER, `${EDIT_MARKER}x`)],
    ['a digit changed in one model\'s class', (t, i) => t.replace(/self\.inplanes = 6[45]$/m, `self.inplanes = ${i % 2 === 0 ? 65 : 64}`)],
    ['a new line above every model', (t) => t.replace(EDIT_MARKER, `\n${EDIT_MARKER}`)],
  ];
  for (const [label, edit] of edits) {
    const memo = new PythonReadMemo();
    let current = text;
    const analyse = (): void => {
      const read = readModelFile(file, current, { memo });
      lintReadResult(read, current);
      for (const n of networksOf(read)) summarize(n);
    };
    analyse();
    const incremental: number[] = [];
    let reread = 0;
    for (let i = 0; i < 40; i++) {
      current = edit(current, i);
      const start = performance.now();
      analyse();
      incremental.push(performance.now() - start);
      reread += memo.stats.evaluated;
    }
    memo.dispose();
    console.log(`PyTorch file of ${text.split('\n').length} lines, after ${label}: parse + count + lint incrementally median ${median(incremental).toFixed(1)} ms, p95 ${percentile(incremental, 0.95).toFixed(1)} ms (40 edits, ${(reread / 40).toFixed(1)} of ${models} models re-read per edit)`);
  }
}

void main();
