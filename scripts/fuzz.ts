import { ensurePythonParser } from '../src/core';
import { FUZZ_SOURCES, fuzzFile } from '../test/helpers/fuzz';

// The full fuzz run: 10,000 mutated inputs per front-end sample (or the count given).
const rounds = Number(process.argv[2] ?? 10_000);

async function main(): Promise<void> {
  await ensurePythonParser(process.cwd() + '/dist-test');
  let failed = 0;
  for (const source of FUZZ_SOURCES) {
    const started = Date.now();
    const outcome = fuzzFile(source, rounds);
    failed += outcome.failures.length;
    console.log(`${source.padEnd(44)} ${outcome.cases} cases, ${((Date.now() - started) / 1000).toFixed(1)} s, slowest ${outcome.slowestMs.toFixed(1)} ms, ${outcome.failures.length} failures`);
    for (const f of outcome.failures.slice(0, 5)) console.log(`  ${f.split('\n')[0]}`);
  }
  process.exitCode = failed > 0 ? 1 : 0;
}

void main();
