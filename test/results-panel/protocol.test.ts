import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseFromResultsPanel, parseToResultsPanel } from '../../webview/src/results/protocol';
import { loadFixtureRuns } from './fixture-runs';

// Both directions of the results panel's messages: what the page accepts from the extension and
// what the extension accepts from the page. Each case changes one thing in a valid message.

const PNG_1x1 =
  'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAAC0lEQVR4nGNgAAIAAAUAAXpeqz8AAAAASUVORK5CYII=';

function clone<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

const DELETE = Symbol('delete');

/** A deep copy of `value` with the field at `path` set to `to` (or deleted). */
function mutate(value: unknown, path: readonly (string | number)[], to: unknown): unknown {
  const copy = clone(value);
  let node = copy as Record<string | number, unknown>;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string | number, unknown>;
  const lastKey = path[path.length - 1] ?? '';
  if (to === DELETE) delete node[lastKey];
  else node[lastKey] = to;
  return copy;
}

function nested(depth: number): unknown {
  let v: unknown = 1;
  for (let i = 0; i < depth; i++) v = { v };
  return v;
}

describe('parseToResultsPanel (extension -> page)', () => {
  const runs = loadFixtureRuns();
  const train = runs.find((r) => r.kind === 'train');
  const evaluation = runs.find((r) => r.kind === 'eval' && r.result?.evaluation);
  assert.ok(train && evaluation, 'the fixtures hold a training run and an evaluation');

  it('accepts every recorded fixture run, unchanged', () => {
    const parsed = parseToResultsPanel({ type: 'runs', runs });
    assert.ok(parsed && parsed.type === 'runs');
    assert.deepEqual(parsed.runs, runs);
  });

  it('accepts live messages of every kind', () => {
    const metric = train.result?.history?.[0];
    assert.ok(metric);
    const messages: unknown[] = [
      { type: 'started', runId: train.id, runDir: train.dir, backend: 'wasm', device: 'CPU', notes: [] },
      { type: 'progress', phase: 'epoch 1/3', done: 4, total: 48, etaSeconds: 12.5, imagesPerSecond: 300 },
      { type: 'progress', phase: 'attacking', done: 0, total: 50 },
      { type: 'metric', epoch: metric },
      { type: 'checkpoint', file: `${train.dir}/checkpoint.rlck`, epoch: 1 },
      { type: 'result', result: train.result },
      { type: 'error', message: 'out of memory' },
    ];
    for (const message of messages)
      assert.ok(parseToResultsPanel({ type: 'live', runId: train.id, message }), JSON.stringify(message).slice(0, 80));
  });

  it('reads a null figure (NaN written by JSON.stringify) as NaN instead of rejecting the run', () => {
    const diverged = mutate(train, ['result', 'history', 0, 'trainLoss'], null);
    const parsed = parseToResultsPanel({ type: 'runs', runs: [diverged] });
    assert.ok(parsed?.type === 'runs');
    assert.ok(Number.isNaN(parsed.runs[0]?.result?.history?.[0]?.trainLoss));
  });

  it('drops unknown fields inside engine records (a newer engine may add some)', () => {
    const extended = mutate(evaluation, ['result', 'future'], 1);
    const parsed = parseToResultsPanel({ type: 'runs', runs: [extended] });
    assert.ok(parsed?.type === 'runs');
    assert.equal('future' in (parsed.runs[0]?.result ?? {}), false);
  });

  const rejected: Array<[string, unknown]> = [
    ['not an object', 'runs'],
    ['null', null],
    ['an array', [{ type: 'runs', runs: [] }]],
    ['an unknown type', { type: 'eval', runs: [] }],
    ['an extra key on the envelope', { type: 'runs', runs: [], html: '<img src=x onerror=alert(1)>' }],
    ['runs missing', { type: 'runs' }],
    ['runs not an array', { type: 'runs', runs: {} }],
    ['a run without an id', { type: 'runs', runs: [mutate(train, ['id'], DELETE)] }],
    ['a run id with a slash', { type: 'runs', runs: [mutate(train, ['id'], '../etc')] }],
    ['a run id of dots', { type: 'runs', runs: [mutate(train, ['id'], '..')] }],
    ['a run id too long', { type: 'runs', runs: [mutate(train, ['id'], 'a'.repeat(101))] }],
    ['a wrong kind', { type: 'runs', runs: [mutate(train, ['kind'], 'attack')] }],
    ['a wrong state', { type: 'runs', runs: [mutate(train, ['state'], 'done')] }],
    ['a dir too long', { type: 'runs', runs: [mutate(train, ['dir'], '/x'.repeat(3000))] }],
    ['config not an object', { type: 'runs', runs: [mutate(train, ['config'], 'kind: train')] }],
    ['a huge string in config', { type: 'runs', runs: [mutate(train, ['config'], { note: 'x'.repeat(30_000) })] }],
    ['a deeply nested config', { type: 'runs', runs: [mutate(train, ['config'], nested(40))] }],
    [
      'an accuracy as a string',
      { type: 'runs', runs: [mutate(evaluation, ['result', 'evaluation', 'cleanAccuracy'], '0.9')] },
    ],
    [
      'an accuracy over 1',
      { type: 'runs', runs: [mutate(evaluation, ['result', 'evaluation', 'robustAccuracy'], 1.5)] },
    ],
    [
      'an unknown attack',
      { type: 'runs', runs: [mutate(evaluation, ['result', 'evaluation', 'attacks', 0, 'name'], 'cw')] },
    ],
    ['a wrong norm', { type: 'runs', runs: [mutate(evaluation, ['result', 'evaluation', 'threat', 'norm'], 'L1')] }],
    [
      'per-sample flags other than 0/1',
      { type: 'runs', runs: [mutate(evaluation, ['result', 'evaluation', 'perSample', 'clean', 0], 2)] },
    ],
    ["a status outside the engine's", { type: 'runs', runs: [mutate(train, ['result', 'status'], 'ok')] }],
    [
      'an epoch missing a field',
      { type: 'runs', runs: [mutate(train, ['result', 'history', 0, 'pgdAccuracy'], DELETE)] },
    ],
    ['live without runId', { type: 'live', message: { type: 'error', message: 'x' } }],
    ['live with a bad run id', { type: 'live', runId: 'a b', message: { type: 'error', message: 'x' } }],
    ['live with an unknown message type', { type: 'live', runId: 'r1', message: { type: 'eval', message: 'x' } }],
    [
      'live progress done > total',
      { type: 'live', runId: 'r1', message: { type: 'progress', phase: 'x', done: 5, total: 4 } },
    ],
    [
      'live progress with an extra key',
      { type: 'live', runId: 'r1', message: { type: 'progress', phase: 'x', done: 1, total: 4, script: 'alert(1)' } },
    ],
    ['live metric as text', { type: 'live', runId: 'r1', message: { type: 'metric', epoch: '1' } }],
    [
      'live error text too long',
      { type: 'live', runId: 'r1', message: { type: 'error', message: 'x'.repeat(20_001) } },
    ],
    ['select with a bad id', { type: 'select', runIds: ['ok', 'javascript:alert(1)'] }],
    ['select ids not an array', { type: 'select', runIds: 'r1' }],
  ];
  for (const [what, message] of rejected) {
    it(`rejects ${what}`, () => assert.equal(parseToResultsPanel(message), undefined));
  }
});

describe('parseFromResultsPanel (page -> extension)', () => {
  const accepted: Array<[string, unknown]> = [
    ['ready', { type: 'ready' }],
    ['select', { type: 'select', runIds: ['20261125-113000-eval-abc123', 'r.2_x-y'] }],
    ['select nothing', { type: 'select', runIds: [] }],
    ['cancel', { type: 'cancel', runId: 'r1' }],
    ['openFolder', { type: 'openFolder', runId: 'r1' }],
    [
      'export csv with content',
      { type: 'export', format: 'csv', runIds: ['r1'], chart: 'curves', content: 'epoch\r\n1\r\n' },
    ],
    ['export json without content', { type: 'export', format: 'json', runIds: ['r1', 'r2'] }],
    ['export png', { type: 'export', format: 'png', runIds: ['r1'], chart: 'accuracy', pngDataUrl: PNG_1x1 }],
  ];
  for (const [what, message] of accepted) {
    it(`accepts ${what}`, () => assert.deepEqual(parseFromResultsPanel(message), message));
  }

  const rejected: Array<[string, unknown]> = [
    ['undefined', undefined],
    ['a string', 'ready'],
    ['an unknown type', { type: 'delete', runId: 'r1' }],
    ['ready with an extra key', { type: 'ready', command: 'rm -rf' }],
    ['cancel without a run id', { type: 'cancel' }],
    ['cancel with a number id', { type: 'cancel', runId: 1 }],
    ['cancel with a path as id', { type: 'cancel', runId: '../../home' }],
    ['cancel with a dot-dot id', { type: 'cancel', runId: '..' }],
    ['openFolder with an empty id', { type: 'openFolder', runId: '' }],
    ['select with too many ids', { type: 'select', runIds: Array.from({ length: 1001 }, (_, i) => `r${i}`) }],
    ['export with an unknown format', { type: 'export', format: 'html', runIds: ['r1'], content: '<script>' }],
    ['export without run ids', { type: 'export', format: 'csv', runIds: [], content: 'a' }],
    ['export with content as a number', { type: 'export', format: 'csv', runIds: ['r1'], content: 5 }],
    [
      'export with content too large',
      { type: 'export', format: 'csv', runIds: ['r1'], content: 'x'.repeat(32 * 1024 * 1024 + 1) },
    ],
    [
      'export with a chart name with a slash',
      { type: 'export', format: 'csv', runIds: ['r1'], chart: '../x', content: 'a' },
    ],
    ['export csv carrying a PNG', { type: 'export', format: 'csv', runIds: ['r1'], pngDataUrl: PNG_1x1 }],
    ['export png without its data', { type: 'export', format: 'png', runIds: ['r1'], chart: 'loss' }],
    ['export png without a chart name', { type: 'export', format: 'png', runIds: ['r1'], pngDataUrl: PNG_1x1 }],
    [
      'export png with a javascript: URL',
      { type: 'export', format: 'png', runIds: ['r1'], chart: 'loss', pngDataUrl: 'javascript:alert(1)' },
    ],
    [
      'export png with an SVG data URL',
      {
        type: 'export',
        format: 'png',
        runIds: ['r1'],
        chart: 'loss',
        pngDataUrl: 'data:image/svg+xml;base64,PHN2Zz48L3N2Zz4=',
      },
    ],
    [
      'export png saying PNG but holding other bytes',
      {
        type: 'export',
        format: 'png',
        runIds: ['r1'],
        chart: 'loss',
        pngDataUrl: 'data:image/png;base64,PHNjcmlwdD4=',
      },
    ],
    [
      'export png with characters outside base64',
      { type: 'export', format: 'png', runIds: ['r1'], chart: 'loss', pngDataUrl: `${PNG_1x1.slice(0, -4)}"><x` },
    ],
    [
      'export png too large',
      {
        type: 'export',
        format: 'png',
        runIds: ['r1'],
        chart: 'loss',
        pngDataUrl: `data:image/png;base64,iVBORw0KGgo${'A'.repeat(16 * 1024 * 1024)}`,
      },
    ],
    [
      'export png also carrying content',
      { type: 'export', format: 'png', runIds: ['r1'], chart: 'loss', pngDataUrl: PNG_1x1, content: 'x' },
    ],
    ['export with an extra key', { type: 'export', format: 'json', runIds: ['r1'], path: '/etc/passwd' }],
  ];
  for (const [what, message] of rejected) {
    it(`rejects ${what}`, () => assert.equal(parseFromResultsPanel(message), undefined));
  }
});
