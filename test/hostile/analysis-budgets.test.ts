import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { lintReadResult, networksOf, readModelFile, summarize } from '../../src/core';
import { MAX_TOTAL_BLOCKS } from '../../src/core/frontends/design-limits';
import { archSpec, hydraConfig } from '../helpers/hostile-models';

/** Reads, counts and lints as the CLI and the server do; returns the diagnostics and the time taken. */
function analyse(
  file: string,
  text: string,
): { diagnostics: ReturnType<typeof lintReadResult>; ms: number; models: number } {
  const started = performance.now();
  const read = readModelFile(file, text);
  const models = networksOf(read);
  for (const network of models) summarize(network, 224);
  const diagnostics = lintReadResult(read, text, {});
  return { diagnostics, ms: performance.now() - started, models: models.length };
}

// Budget for each case: 2 s on a loaded 2-core machine (each takes milliseconds to a few hundred).
const BUDGET_MS = 2000;

describe('analysis budgets of the spec and Hydra readers', () => {
  it('a spec with depth 100,000,000 is refused at the depth, not built', () => {
    const text = archSpec([
      { depth: 3, width: 256 },
      { depth: 100_000_000, width: 512 },
    ]);
    const { diagnostics, ms, models } = analyse('deep.arch.yaml', text);
    assert.equal(models, 0);
    const error = diagnostics.find((d) => d.code === 'RL111');
    assert.ok(error, JSON.stringify(diagnostics));
    assert.equal(error.severity, 'error');
    // Line 7 (0-based 6) holds the second stage; the range points at its depth value.
    assert.equal(error.range.start.line, 6);
    assert.equal(text.split('\n')[6]?.slice(error.range.start.character, error.range.end.character), '100000000');
    assert.match(error.message, /at most 20,000 blocks/);
    assert.ok(ms < BUDGET_MS, `took ${ms.toFixed(0)} ms`);
  });

  it('a Hydra config with depth 100,000,000 is refused at the depth, not built', () => {
    const text = hydraConfig([3, 100_000_000]);
    const { diagnostics, ms, models } = analyse('deep.yaml', text);
    assert.equal(models, 0);
    const error = diagnostics.find((d) => d.code === 'RL111');
    assert.ok(error, JSON.stringify(diagnostics));
    assert.equal(text.split('\n')[error.range.start.line]?.trim(), '- 100000000');
    assert.ok(ms < BUDGET_MS, `took ${ms.toFixed(0)} ms`);
  });

  it('the block budget is a sum over stages, and a model at the budget still reads', () => {
    const half = MAX_TOTAL_BLOCKS / 2;
    assert.ok(
      analyse(
        'ok.arch.yaml',
        archSpec([
          { depth: half, width: 8 },
          { depth: half, width: 8 },
        ]),
      ).models === 1,
    );
    const over = analyse(
      'over.arch.yaml',
      archSpec([
        { depth: half, width: 8 },
        { depth: half + 1, width: 8 },
      ]),
    );
    assert.equal(over.models, 0);
    assert.equal(over.diagnostics.find((d) => d.code === 'RL111')?.range.start.line, 6);
  });

  it('16,000 stages are counted and linted in linear time', () => {
    const text = archSpec(Array.from({ length: 16_000 }, () => ({ depth: 1, width: 8 })));
    const { ms, models } = analyse('wide.arch.yaml', text);
    assert.equal(models, 1);
    // Quadratic per-stage totals took ~29 s here; now ~3 s on a loaded machine. Budget: 15 s.
    assert.ok(ms < 15_000, `took ${ms.toFixed(0)} ms`);
    // Doubling the stages roughly doubles the time (not x4): 4,000 vs 8,000 stages.
    const time = (n: number): number =>
      analyse('w.arch.yaml', archSpec(Array.from({ length: n }, () => ({ depth: 1, width: 8 })))).ms;
    time(2000);
    const small = time(4000);
    const large = time(8000);
    assert.ok(large < 3.2 * small, `4,000 stages ${small.toFixed(0)} ms, 8,000 stages ${large.toFixed(0)} ms`);
  });
});
