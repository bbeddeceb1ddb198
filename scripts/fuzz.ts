import { ensurePythonParser } from '../src/core';
import { FUZZ_TARGETS, fuzzTarget } from '../test/helpers/fuzz';

// The full fuzz run: 10,000 mutated inputs per target (or the count given), and the slowest case
// of each with its seed (`fuzzTarget` replays it).
const rounds = Number(process.argv[2] ?? 10_000);
const only = process.argv[3];

async function main(): Promise<void> {
  await ensurePythonParser(process.cwd() + '/dist-test');
  let failed = 0;
  let slowest = { ms: 0, what: '' };
  for (const target of FUZZ_TARGETS.filter((t) => only === undefined || t.name.includes(only))) {
    const started = Date.now();
    const outcome = fuzzTarget(target, rounds);
    failed += outcome.failures.length;
    if (outcome.slowestMs > slowest.ms) slowest = { ms: outcome.slowestMs, what: `${target.name} seed ${outcome.slowestSeed}` };
    console.log(`${target.name.padEnd(44)} ${outcome.cases} cases, ${((Date.now() - started) / 1000).toFixed(1)} s, slowest ${outcome.slowestMs.toFixed(1)} ms (seed ${outcome.slowestSeed}), ${outcome.failures.length} failures`);
    for (const f of outcome.failures.slice(0, 5)) console.log(`  ${f.split('\n')[0]}`);
  }
  console.log(`slowest case overall: ${slowest.ms.toFixed(1)} ms (${slowest.what}); ${failed} failures`);
  process.exitCode = failed > 0 ? 1 : 0;
}

void main();
