import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { EpochMetrics } from '../../src/engine/train/train-loop';
import { attacksCsv, comparisonCsv, curvesCsv } from '../../webview/src/results/export/csv';
import { markdownReport } from '../../webview/src/results/export/markdown';
import { compare, epsCurve, overfittingEpoch } from '../../webview/src/results/model/figures';
import { epsilon, percent, points } from '../../webview/src/results/model/format';
import { modelFacts, weightsKey } from '../../webview/src/results/model/run-facts';
import { RunStore } from '../../webview/src/results/model/run-store';
import { loadFixtureRuns } from './fixture-runs';

// The page's figures from recorded runs: what the charts, tables and exports are built from.

function store(): RunStore {
  const s = new RunStore();
  s.setRuns(loadFixtureRuns());
  return s;
}

function epoch(n: number, fgsm: number, pgd: number): EpochMetrics {
  return {
    epoch: n,
    trainLoss: 1,
    trainAccuracy: 0.5,
    learningRate: 0.1,
    eps: 0.1,
    cleanAccuracy: 0.9,
    fgsmAccuracy: fgsm,
    pgdAccuracy: pgd,
    seconds: 1,
  };
}

function csvRows(text: string): string[][] {
  return text
    .trim()
    .split('\r\n')
    .map((line) => line.split(','));
}

describe('catastrophic overfitting marker', () => {
  it("marks the epoch where PGD accuracy collapses while FGSM accuracy stays high (the engine's rule)", () => {
    assert.equal(overfittingEpoch([epoch(1, 0.5, 0.4), epoch(2, 0.6, 0.45), epoch(3, 0.85, 0.05)]), 3);
  });
  it('marks a jump of the FGSM-PGD gap before PGD has halved', () => {
    assert.equal(overfittingEpoch([epoch(1, 0.5, 0.45), epoch(2, 0.8, 0.3)]), 2);
  });
  it('marks nothing on a healthy run', () => {
    assert.equal(overfittingEpoch([epoch(1, 0.5, 0.4), epoch(2, 0.6, 0.5), epoch(3, 0.65, 0.55)]), undefined);
  });
  it('marks the last epoch when the engine stopped the run for it', () => {
    assert.equal(overfittingEpoch([epoch(1, 0.5, 0.4), epoch(2, 0.55, 0.42)], 'catastrophic-overfitting'), 2);
  });
});

describe('figures from the recorded runs', () => {
  const runs = store().list();
  const evals = runs.filter((r) => r.evaluation);
  const train = runs.find((r) => r.kind === 'train' && r.history.length > 0);
  assert.ok(train && evals.length >= 2);

  it('groups evaluations of the same weights into one robust-accuracy-against-epsilon curve', () => {
    const of = evals.find((r) => weightsKey(r) === weightsKey(train));
    assert.ok(of, 'an evaluation of the fixture training run');
    const curve = epsCurve(of, runs);
    assert.ok(curve);
    const same = evals.filter((r) => weightsKey(r) === weightsKey(of));
    assert.deepEqual(
      curve.eps,
      [...new Set(same.map((r) => r.evaluation?.threat.eps))].sort((a, b) => (a ?? 0) - (b ?? 0)),
    );
    for (const r of same) {
      const e = r.evaluation;
      assert.ok(e);
      const i = curve.eps.indexOf(e.threat.eps);
      const clean = curve.series.find((s) => s.label === 'Clean');
      assert.ok(clean && clean.values[i] !== null);
      // The newest run at an epsilon wins; every value is one of the runs' own.
      assert.ok(
        curve.series.some((s) => s.values[i] === e.robustAccuracy) ||
          same.some((o) => o !== r && o.evaluation?.threat.eps === e.threat.eps),
      );
    }
    // The training run itself shows the same curve (its folder is what the evaluations loaded).
    assert.deepEqual(epsCurve(train, runs)?.eps, curve.eps);
  });

  it('compares runs against the oldest with exact deltas', () => {
    const picked = [evals[0], evals[evals.length - 1]].filter((r) => r !== undefined);
    const comparison = compare(picked, (r) => modelFacts(r).params);
    assert.ok(comparison);
    const [newer, older] = picked;
    assert.equal(comparison.baseline, older);
    const row = comparison.rows[0];
    assert.ok(row && newer?.evaluation && older?.evaluation);
    assert.equal(row.deltaClean, newer.evaluation.cleanAccuracy - older.evaluation.cleanAccuracy);
    assert.equal(row.deltaRobust, newer.evaluation.robustAccuracy - older.evaluation.robustAccuracy);
    const csv = csvRows(comparisonCsv(comparison));
    assert.deepEqual(csv[0]?.slice(0, 3), ['run_id', 'kind', 'baseline']);
    assert.equal(Number(csv[1]?.[9]), row.deltaRobust);
  });

  it('exports per-epoch curves and per-attack tables as CSV with the recorded numbers', () => {
    const curves = csvRows(curvesCsv(train));
    assert.equal(curves.length, train.history.length + 1);
    train.history.forEach((h, i) => {
      assert.equal(Number(curves[i + 1]?.[0]), h.epoch);
      assert.equal(Number(curves[i + 1]?.[5]), h.pgdAccuracy);
    });
    const e = evals[0];
    assert.ok(e?.evaluation);
    const attacks = csvRows(attacksCsv(e));
    assert.deepEqual(attacks[1]?.slice(0, 3), ['0', 'clean', String(e.evaluation.cleanAccuracy)]);
    e.evaluation.attacks.forEach((a, i) =>
      assert.deepEqual(attacks[i + 2]?.slice(1, 3), [a.name, String(a.robustAccuracy)]),
    );
  });

  it('writes a Markdown report with the breakdown and the comparison', () => {
    const e = evals[0];
    assert.ok(e?.evaluation);
    const report = markdownReport([e, train], '2026-11-25T12:00:00Z');
    assert.match(report, /^# Robustness Lens report/);
    assert.match(report, /## Comparison/);
    assert.ok(report.includes(`| Clean | ${percent(e.evaluation.cleanAccuracy)} |`));
    for (const a of e.evaluation.attacks)
      assert.ok(report.includes(`| after ${a.name} | ${percent(a.robustAccuracy)} |`));
  });
});

describe('exports are safe with hostile text', () => {
  it('quotes CSV cells and defuses spreadsheet formulas', () => {
    const runs = store().list();
    const train = runs.find((r) => r.kind === 'train');
    const other = runs.find((r) => r !== train);
    assert.ok(train && other);
    const comparison = compare([{ ...train, id: '=HYPERLINK("x")' }, other], () => undefined);
    assert.ok(comparison);
    assert.ok(comparisonCsv(comparison).includes(`"'=HYPERLINK(""x"")"`));
  });
  it('keeps Markdown table cells on one line with literal pipes', () => {
    const train = store()
      .list()
      .find((r) => r.kind === 'train');
    assert.ok(train);
    const report = markdownReport([{ ...train, message: 'a | b\n# heading' }], 'now');
    assert.ok(report.includes('- Note: a \\| b # heading'));
  });
});

describe('number formats', () => {
  it('shows accuracies, deltas and epsilons as a reader expects', () => {
    assert.equal(percent(0.8234), '82.3%');
    assert.equal(points(0.052), '+5.2 pp');
    assert.equal(points(-0.1), '\u221210.0 pp');
    assert.equal(points(0.0001), '\u00b10.0 pp');
    assert.equal(epsilon(8 / 255), '8/255 (0.03137)');
    assert.equal(epsilon(0.1), '0.1');
  });
});

describe('live messages merged into the run list', () => {
  it('shows a run first known from its live messages, its epochs, then its result', () => {
    const s = store();
    const id = '20991231-000000-train-aaaaaa';
    s.applyLive(id, { type: 'started', runId: id, runDir: `/w/${id}`, backend: 'wasm', device: 'cpu', notes: [] });
    assert.equal(
      s.applyLive(id, { type: 'progress', phase: 'epoch 1/2', done: 1, total: 10, etaSeconds: 5 }),
      'progress',
    );
    let run = s.list()[0];
    assert.equal(run?.id, id);
    assert.equal(run?.kind, 'train');
    assert.equal(run?.state, 'running');
    assert.equal(run?.progress?.done, 1);
    assert.equal(s.applyLive(id, { type: 'metric', epoch: epoch(1, 0.5, 0.4) }), 'content');
    s.applyLive(id, { type: 'metric', epoch: epoch(1, 0.5, 0.4) });
    assert.equal(s.get(id)?.history.length, 1, 'a repeated epoch replaces the earlier one');
    s.applyLive(id, {
      type: 'result',
      result: {
        runId: id,
        runDir: `/w/${id}`,
        kind: 'train',
        status: 'completed',
        history: [epoch(1, 0.5, 0.4), epoch(2, 0.6, 0.5)],
      },
    });
    run = s.get(id);
    assert.equal(run?.state, 'finished');
    assert.equal(run?.history.length, 2);
    assert.equal(run?.progress, undefined);
  });
});
