import * as fs from 'node:fs';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { ensurePythonParser, lintReadResult, networksOf, readModelFile, summarize } from '../src/core';

// Parse + lint + count of a ~2,000-line PyTorch file (the language server's work per keystroke).
// Target: median under 20 ms. The file is the PyTorch examples repeated with renamed classes,
// so every copy is evaluated. Prints figures; asserts nothing.

function bigFile(lines: number): string {
  const sources = ['examples/pytorch/resnet.py', 'examples/pytorch/robarch_s.py'].map((f) => fs.readFileSync(f, 'utf8'));
  const imports = new Set<string>();
  const bodies: string[] = [];
  let copy = 0;
  while (bodies.join('\n').split('\n').length < lines) {
    for (const source of sources) {
      const body = source.split('\n').filter((line) => {
        if (/^(import|from) /.test(line)) {
          imports.add(line);
          return false;
        }
        return true;
      }).join('\n');
      // Rename every top-level class, function and constant so each copy stands alone.
      const names = [...body.matchAll(/^(?:class|def) (\w+)|^([A-Z_]+) =/gm)].map((m) => m[1] ?? m[2] ?? '');
      let renamed = body;
      for (const name of names) renamed = renamed.replace(new RegExp(`\\b${name}\\b`, 'g'), `${name}_${copy}`);
      bodies.push(renamed);
    }
    copy++;
  }
  return [...imports, ...bodies].join('\n');
}

async function main(): Promise<void> {
  await ensurePythonParser(path.join(process.cwd(), 'dist-test'));
  const text = bigFile(2000);
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
  times.sort((a, b) => a - b);
  console.log(`PyTorch file of ${text.split('\n').length} lines, ${models} models, ${params.toLocaleString('en-US')} params: parse + count + lint median ${(times[Math.floor(times.length / 2)] ?? NaN).toFixed(1)} ms, p95 ${(times[Math.floor(times.length * 0.95)] ?? NaN).toFixed(1)} ms (40 runs)`);
}

void main();
