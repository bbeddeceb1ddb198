import { ensurePythonParser } from '../src/core';
import { FUZZ_TARGETS, fuzzTarget } from '../test/helpers/fuzz';

// The full fuzz run: 10,000 mutated inputs per target (or the count given), and the slowest case
// of each with its seed (`fuzzTarget` replays it).
const rounds = Number(process.argv[2] ?? 10_000);
/** Optional: only the targets whose name contains one of these comma-separated words. */
const only = process.argv[3]?.split(',');

async function main(): Promise<void> {
  await ensurePythonParser(process.cwd() + '/dist-test');
  let failed = 0;
  let slowest = { ms: 0, what: '' };
  for (const target of FUZZ_TARGETS.filter((t) => only === undefined || only.some((word) => t.name.includes(word)))) {
    const started = Date.now();
    const outcome = fuzzTarget(target, rounds);
    failed += outcome.failures.length;
    if (outcome.slowestMs > slowest.ms)
      slowest = { ms: outcome.slowestMs, what: `${target.name} seed ${outcome.slowestSeed}` };
    console.log(
      `${target.name.padEnd(44)} ${outcome.cases} cases, ` +
        `${((Date.now() - started) / 1000).toFixed(1)} s, slowest ` +
        `${outcome.slowestMs.toFixed(1)} ms (seed ${outcome.slowestSeed}), ` +
        `${outcome.failures.length} failures`,
    );
    // Crashes and internal errors first: a slow case on a loaded machine is a lesser failure.
    const slow = outcome.failures.filter((f) => / took \d+ ms$/.test(f));
    const other = outcome.failures.filter((f) => !slow.includes(f));
    console.log(`  ${other.length} crashes or bad diagnostics, ${slow.length} cases over 1 s`);
    for (const f of [...other.slice(0, 20), ...slow.slice(0, 3)]) console.log(`  ${f.split('\n')[0]}`);
  }
  console.log(`slowest case overall: ${slowest.ms.toFixed(1)} ms (${slowest.what}); ${failed} failures`);
  process.exitCode = failed > 0 ? 1 : 0;
}

void main();
