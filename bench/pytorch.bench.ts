import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { bigPyTorchFile } from './support/big-pytorch-file';
import { median, percentile } from './support/stats';
import { ensurePythonParser, lintReadResult, networksOf, readModelFile, summarize } from '../src/core';

// Parse + lint + count of a ~2,000-line PyTorch file (the language server's work per keystroke).
// Target: median under 20 ms. The file is the PyTorch examples repeated with renamed classes,
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
  console.log(`PyTorch file of ${text.split('\n').length} lines, ${models} models, ${params.toLocaleString('en-US')} params: parse + count + lint median ${median(times).toFixed(1)} ms, p95 ${percentile(times, 0.95).toFixed(1)} ms (40 runs)`);
}

void main();
