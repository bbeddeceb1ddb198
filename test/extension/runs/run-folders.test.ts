import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { looksLikeRunSummary, readRunFolders, runsFolder } from '../../../src/extension/runs/run-folders';
import { trainedWeightsFor } from '../../../src/extension/runs/trained-weights';
import { evalConfig, evalSummary, trainSummary } from './run-samples';

function workspace(t: { after(fn: () => void): void }): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rl-runs-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function writeRun(ws: string, id: string, files: Record<string, string>): string {
  const dir = path.join(runsFolder(ws), id);
  fs.mkdirSync(dir, { recursive: true });
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text);
  return dir;
}

const json = (v: unknown): string => JSON.stringify(v, null, 2);
const env = json({
  backend: 'wasm',
  device: 'CPU (WebAssembly SIMD)',
  notes: [],
  node: 'v20',
  platform: 'linux-x64',
  cpu: 'x',
  cores: 2,
  startedAt: '2026-11-25T10:00:00.000Z',
});

describe('reading the run folders of a workspace', () => {
  it('reads finished eval and train runs, newest first, with their JSON as written', (t) => {
    const ws = workspace(t);
    const evalId = '20261125-100000-eval-aaaaaa';
    const trainId = '20261125-090000-train-bbbbbb';
    writeRun(ws, evalId, {
      'config.json': json(evalConfig),
      'environment.json': env,
      'result.json': json(evalSummary(evalId)),
    });
    writeRun(ws, trainId, {
      'config.json': json({
        kind: 'train',
        model: { name: 'MNIST-small' },
        data: 'mnist',
        config: { threat: { norm: 'Linf', eps: 0.3 } },
      }),
      'environment.json': env,
      'result.json': json(trainSummary(trainId)),
      'checkpoint.rlck': 'binary',
    });
    const log: string[] = [];
    const runs = readRunFolders([ws], (l) => log.push(l));
    assert.deepEqual(
      runs.map((r) => [r.id, r.kind, r.state]),
      [
        [evalId, 'eval', 'finished'],
        [trainId, 'train', 'finished'],
      ],
    );
    assert.equal(runs[0]?.result?.evaluation?.robustAccuracy, 0.12);
    assert.deepEqual(runs[0]?.config, evalConfig);
    assert.equal((runs[0]?.environment as { backend: string }).backend, 'wasm');
    assert.equal(runs[1]?.result?.history?.length, 2);
    assert.equal(runs[0]?.dir, path.join(ws, '.robustness-lens', 'runs', evalId));
    assert.deepEqual(log, []);
  });

  it('skips damaged or partial folders with one log line each, never throwing', (t) => {
    const ws = workspace(t);
    writeRun(ws, '20261125-080000-eval-000001', { 'config.json': '{ "kind": "eval", ' }); // torn write
    writeRun(ws, '20261125-080000-eval-000002', {}); // killed before config.json
    writeRun(ws, '20261125-080000-eval-000003', { 'config.json': '[1, 2]' });
    writeRun(ws, '20261125-080000-eval-000004', { 'config.json': json({ kind: 'predict' }) });
    writeRun(ws, '20261125-080000-eval-000005', {
      'config.json': json(evalConfig),
      'environment.json': 'nope',
      'result.json': '{"runId": 3',
    });
    writeRun(ws, '20261125-080000-eval-000006', {
      'config.json': json(evalConfig),
      'result.json': json({ runId: 'x', kind: 'eval', status: 'exploded' }),
    });
    writeRun(ws, '20261125-080000-eval-000007', {
      'config.json': json(evalConfig),
      'result.json': json({ ...evalSummary('x'), evaluation: { cleanAccuracy: '90%' } }),
    });
    fs.writeFileSync(path.join(runsFolder(ws), 'stray-file.txt'), 'not a run');
    const log: string[] = [];
    const runs = readRunFolders([ws], (l) => log.push(l));
    assert.deepEqual(
      runs.map((r) => r.id),
      ['20261125-080000-eval-000007', '20261125-080000-eval-000006', '20261125-080000-eval-000005'],
    );
    for (const r of runs) {
      assert.equal(r.result, undefined, `${r.id} has no usable result`);
      assert.equal(r.state, 'interrupted');
    }
    assert.equal(runs.find((r) => r.id.endsWith('5'))?.environment, null);
    assert.equal(log.length, 7, log.join('\n'));
    assert.match(log.find((l) => l.includes('000001')) ?? '', /skipped .*config\.json not valid JSON/);
    assert.match(log.find((l) => l.includes('000002')) ?? '', /skipped .*config\.json missing/);
    assert.match(log.find((l) => l.includes('000004')) ?? '', /names no run kind/);
    assert.match(
      log.find((l) => l.includes('000005')) ?? '',
      /partly read .*environment\.json not valid JSON .*; result\.json not valid JSON/,
    );
    assert.match(log.find((l) => l.includes('000006')) ?? '', /result\.json does not hold a run result/);
  });

  it('marks the runs the editor is doing, and shows a just-started run before its config.json exists', (t) => {
    const ws = workspace(t);
    writeRun(ws, '20261125-110000-eval-cccccc', {});
    writeRun(ws, '20261125-100000-train-dddddd', { 'config.json': json({ kind: 'train' }) });
    const log: string[] = [];
    const live = new Map([
      ['20261125-110000-eval-cccccc', 'running' as const],
      ['20261125-100000-train-dddddd', 'running' as const],
    ]);
    const runs = readRunFolders([ws], (l) => log.push(l), live);
    assert.deepEqual(
      runs.map((r) => [r.id, r.kind, r.state]),
      [
        ['20261125-110000-eval-cccccc', 'eval', 'running'],
        ['20261125-100000-train-dddddd', 'train', 'running'],
      ],
    );
    assert.equal(runs[0]?.config, null);
    assert.deepEqual(log, []);
  });

  it('reads several workspace folders; a folder without runs is no error', (t) => {
    const a = workspace(t);
    const b = workspace(t);
    const c = workspace(t);
    writeRun(a, '20261125-100000-eval-aaaaaa', { 'config.json': json(evalConfig) });
    writeRun(b, '20261125-120000-eval-bbbbbb', { 'config.json': json(evalConfig) });
    const log: string[] = [];
    assert.deepEqual(
      readRunFolders([a, b, c], (l) => log.push(l)).map((r) => r.id),
      ['20261125-120000-eval-bbbbbb', '20261125-100000-eval-aaaaaa'],
    );
    assert.deepEqual(log, []);
  });

  it('orders two runs started in the same second by their start time, not their random suffix', (t) => {
    const ws = workspace(t);
    const at = (ms: number): string =>
      json({ backend: 'wasm', device: 'CPU', startedAt: `2026-11-25T10:00:00.${ms}Z` });
    writeRun(ws, '20261125-100000-eval-aaaaaa', { 'config.json': json(evalConfig), 'environment.json': at(900) });
    writeRun(ws, '20261125-100000-eval-ffffff', { 'config.json': json(evalConfig), 'environment.json': at(100) });
    assert.deepEqual(
      readRunFolders([ws], () => undefined).map((r) => r.id),
      ['20261125-100000-eval-aaaaaa', '20261125-100000-eval-ffffff'],
    );
  });

  it('finds the trained weights of a model: its own training runs with a checkpoint, newest first', (t) => {
    const ws = workspace(t);
    const model = path.join(ws, 'mnist-small.arch.yaml');
    const config = (file: string, name: string) =>
      json({ kind: 'train', model: { file, name }, data: 'mnist', config: { threat: { norm: 'Linf', eps: 0.3 } } });
    writeRun(ws, '20261125-090000-train-000001', {
      'config.json': config(model, 'MNIST-small'),
      'result.json': json(trainSummary('a')),
      'checkpoint.rlck': 'x',
    });
    writeRun(ws, '20261125-100000-train-000002', {
      'config.json': config(model, 'MNIST-small'),
      'checkpoint.rlck': 'x',
    }); // interrupted after an epoch
    // stopped before its first epoch
    writeRun(ws, '20261125-110000-train-000003', { 'config.json': config(model, 'MNIST-small') });
    writeRun(ws, '20261125-120000-train-000004', {
      'config.json': config(path.join(ws, 'other.arch.yaml'), 'Other'),
      'checkpoint.rlck': 'x',
    });
    writeRun(ws, '20261125-130000-train-000005', { 'config.json': config(model, 'Renamed'), 'checkpoint.rlck': 'x' });
    const found = trainedWeightsFor(ws, model, 'MNIST-small');
    assert.deepEqual(
      found.map((w) => [w.runId, w.epochs, w.data]),
      [
        ['20261125-100000-train-000002', 0, 'mnist'],
        ['20261125-090000-train-000001', 2, 'mnist'],
      ],
    );
    assert.equal(found[1]?.pgdAccuracy, 0.3);
    assert.equal(found[0]?.runDir, path.join(runsFolder(ws), '20261125-100000-train-000002'));
  });

  it('accepts a result only with the fields the panel reads', () => {
    assert.ok(looksLikeRunSummary(evalSummary('a')));
    assert.ok(looksLikeRunSummary(trainSummary('b')));
    assert.ok(!looksLikeRunSummary(null));
    assert.ok(!looksLikeRunSummary({ ...evalSummary('a'), kind: 'predict' }));
    assert.ok(!looksLikeRunSummary({ ...trainSummary('b'), history: [1, 2] }));
    assert.ok(
      !looksLikeRunSummary({
        ...evalSummary('a'),
        evaluation: { ...evalSummary('a').evaluation, attacks: [{ name: 'pgd' }] },
      }),
    );
  });
});
