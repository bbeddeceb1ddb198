import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import * as fs from 'node:fs';
import { bigPyTorchFile, EDIT_MARKER } from './support/big-pytorch-file';
import { siblingImportPackage, SIBLINGS } from './support/sibling-imports';
import { median, percentile } from './support/stats';
import {
  ensurePythonParser,
  lintReadResult,
  ModuleFileCache,
  networksOf,
  PythonReadMemo,
  readModelFile,
  summarize,
  type ModuleSource,
} from '../src/core';

/** Goal for a cold read (parse, count, lint) of a model file importing five sibling files. */
const COLD_IMPORTS_GOAL_MS = 300;

/**
 * A model file importing five sibling module files (the CLI's read, and the language server's first):
 * the very first read in the process, then reads that each parse every file again (cold module
 * cache, warm JIT), then the server's re-read with its module cache. One JSON line.
 */
function coldImportRead(): void {
  const { file, lines, dir } = siblingImportPackage(path.join(process.cwd(), 'examples', 'pytorch', 'resnet.py'));
  try {
    const text = fs.readFileSync(file, 'utf8');
    let models = 0;
    let exact = 0;
    const run = (modules?: ModuleSource): number => {
      const start = performance.now();
      const read = readModelFile(file, text, modules ? { python: { modules } } : {});
      lintReadResult(read, text);
      const summaries = networksOf(read).map((n) => summarize(n));
      models = summaries.length;
      exact = summaries.filter((s) => s.total.known).length;
      return performance.now() - start;
    };
    const first = run();
    const cold = Array.from({ length: 20 }, () => run());
    const cache = new ModuleFileCache();
    run(cache);
    const cached = Array.from({ length: 20 }, () => run(cache));
    cache.dispose();
    console.log(
      JSON.stringify({
        bench: 'pytorch-cold-read-importing-siblings',
        siblings: SIBLINGS,
        lines,
        models,
        exact,
        firstReadMs: Number(first.toFixed(1)),
        coldMedianMs: Number(median(cold).toFixed(1)),
        coldP95Ms: Number(percentile(cold, 0.95).toFixed(1)),
        cachedMedianMs: Number(median(cached).toFixed(1)),
        goalMs: COLD_IMPORTS_GOAL_MS,
      }),
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

// Parse + lint + count of a ~2,000-line PyTorch file: from scratch (the CLI, opening a file) and
// re-read after one edit with the memo the language server keeps per open document (its work per
// keystroke). Target: median under 20 ms. The file is the PyTorch examples repeated with renamed classes,
// so every copy is evaluated. Prints figures; asserts nothing.

async function main(): Promise<void> {
  await ensurePythonParser(path.join(process.cwd(), 'dist-test'));
  // First, so that its first read is cold for the process too.
  coldImportRead();
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
  console.log(
    `PyTorch file of ${text.split('\n').length} lines, ${models} models, ` +
      `${params.toLocaleString('en-US')} params: parse + count + lint from scratch median ` +
      `${median(times).toFixed(1)} ms, p95 ${percentile(times, 0.95).toFixed(1)} ms ` +
      `(40 runs)`,
  );

  // What the language server does per keystroke: the same file re-read with its memo after one
  // edit, for three kinds of edit.
  const edits: [string, (t: string, i: number) => string][] = [
    ['a character typed in a comment', (t) => t.replace(EDIT_MARKER, `${EDIT_MARKER}x`)],
    [
      "a digit changed in one model's class",
      (t, i) => t.replace(/self\.inplanes = 6[45]$/m, `self.inplanes = ${i % 2 === 0 ? 65 : 64}`),
    ],
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
    console.log(
      `PyTorch file of ${text.split('\n').length} lines, after ${label}: parse + count + ` +
        `lint incrementally median ${median(incremental).toFixed(1)} ms, p95 ` +
        `${percentile(incremental, 0.95).toFixed(1)} ms (40 edits, ` +
        `${(reread / 40).toFixed(1)} of ${models} models re-read per edit)`,
    );
  }
}

void main();
