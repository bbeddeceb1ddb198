import * as fs from 'node:fs';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { median } from './support/stats';
import { lintReadResult, readModelFile } from '../src/core';

// Time to read and lint each example (what the editor does on each edit): median per file.
// Target: under 5 ms for a spec file. Prints figures; asserts nothing.

const ITERATIONS = 200;
const WARMUP = 30;

const files = [
  ...fs
    .readdirSync('examples')
    .filter((f) => /\.arch\.(ya?ml|json)$/.test(f))
    .map((f) => path.join('examples', f)),
  ...fs
    .readdirSync('examples/hydra')
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => path.join('examples/hydra', f)),
].sort();

console.log(`read + lint (18 rules), Node ${process.version}, ${ITERATIONS} runs per file`);
const medians: number[] = [];
for (const file of files) {
  const text = fs.readFileSync(file, 'utf8');
  let findings = 0;
  const run = (): void => {
    findings = lintReadResult(readModelFile(file, text), text).filter((d) => d.code.startsWith('RA')).length;
  };
  for (let i = 0; i < WARMUP; i++) run();
  const times: number[] = [];
  for (let i = 0; i < ITERATIONS; i++) {
    const start = performance.now();
    run();
    times.push(performance.now() - start);
  }
  const m = median(times);
  medians.push(m);
  console.log(`${file.padEnd(34)} median ${m.toFixed(3)} ms  (${findings} findings)`);
}
console.log(`median over files: ${median(medians).toFixed(3)} ms, slowest file: ${Math.max(...medians).toFixed(3)} ms`);
