import * as fs from 'node:fs';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { percentile } from './support/stats';
import { readModelFile, summarize } from '../src/core';

// Time to parse a model file and count every layer (what the editor does on each edit).
// Target: median under 5 ms for RobArch-L. Prints figures; asserts nothing.

const ITERATIONS = 400;
const WARMUP = 50;

function bench(label: string, file: string): void {
  const text = fs.readFileSync(path.join(process.cwd(), file), 'utf8');
  const run = (): number => {
    const network = readModelFile(file, text).network;
    if (!network) throw new Error(`${file} did not read`);
    const summary = summarize(network, 224);
    return summary.total.known ? summary.total.value : -1;
  };
  const coldStart = performance.now();
  const total = run();
  const cold = performance.now() - coldStart;
  for (let i = 0; i < WARMUP; i++) run();
  const times: number[] = [];
  for (let i = 0; i < ITERATIONS; i++) {
    const start = performance.now();
    run();
    times.push(performance.now() - start);
  }
  const ms = (v: number): string => `${v.toFixed(3)} ms`;
  console.log(
    `${label.padEnd(26)} params ${total.toLocaleString('en-US').padStart(11)}  median ` +
      `${ms(percentile(times, 0.5))}  p95 ${ms(percentile(times, 0.95))}  first call ` +
      `${ms(cold)}  (${ITERATIONS} runs)`,
  );
}

console.log(`parse + count, Node ${process.version}, ${process.arch}`);
bench('RobArch-L spec (YAML)', 'examples/robarch-l.arch.yaml');
bench('RobArch-L Hydra config', 'examples/hydra/robarch_l.yaml');
bench('RobArch-L spec (JSON)', 'test/fixtures/arch-spec/robarch-l.arch.json');
bench('ResNet-50 spec (YAML)', 'examples/resnet50.arch.yaml');
