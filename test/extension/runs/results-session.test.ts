import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  parseFromResultsPanel,
  type ExportFormat,
  type RunRecord,
  type ToResultsPanel,
} from '../../../webview/src/results/protocol';
import { ResultsSession, type ResultsPorts } from '../../../src/extension/runs/results-session';
import { evalRecord } from './run-samples';

/** A panel and editor that record what the session asked of them. */
function fakePanel(
  runs: RunRecord[] = [evalRecord('20261125-100000-eval-aaaaaa'), evalRecord('20261125-090000-eval-bbbbbb')],
) {
  const posted: ToResultsPanel[] = [];
  const log: string[] = [];
  const cancelled: string[] = [];
  const revealed: string[] = [];
  const saved: { name: string; format: ExportFormat; data: string | Uint8Array }[] = [];
  const ports: ResultsPorts = {
    parse: parseFromResultsPanel,
    post: (m) => posted.push(m),
    log: (l) => log.push(l),
    listRuns: () => runs,
    cancel: (id) => {
      cancelled.push(id);
      return id.startsWith('queued-');
    },
    save: async (name, format, data) => {
      saved.push({ name, format, data });
      return `/ws/${name}`;
    },
    reveal: (dir) => revealed.push(dir),
  };
  return { ports, posted, log, cancelled, revealed, saved };
}

/** A 1x1 PNG. */
const PNG =
  'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9' +
  'awAAAABJRU5ErkJggg==';

describe('the results panel session (its messages, with a fake panel)', () => {
  it('answers ready with every run and the selection, and forwards live messages only to a ready page', async () => {
    const p = fakePanel();
    const session = new ResultsSession(p.ports, ['20261125-090000-eval-bbbbbb']);
    session.live('r', { type: 'progress', phase: 'attacking', done: 1, total: 2 });
    session.refresh();
    assert.equal(p.posted.length, 0, 'nothing before the page listens');
    await session.receive({ type: 'ready' });
    assert.deepEqual(
      p.posted.map((m) => m.type),
      ['runs', 'select'],
    );
    assert.equal(p.posted[0]?.type === 'runs' && p.posted[0].runs.length, 2);
    assert.deepEqual(p.posted[1], { type: 'select', runIds: ['20261125-090000-eval-bbbbbb'] });
    session.live('r', { type: 'progress', phase: 'attacking', done: 1, total: 2 });
    session.select(['20261125-100000-eval-aaaaaa']);
    session.refresh();
    assert.deepEqual(
      p.posted.slice(2).map((m) => m.type),
      ['live', 'select', 'runs'],
    );
    await session.receive({ type: 'select', runIds: ['20261125-100000-eval-aaaaaa', '20261125-090000-eval-bbbbbb'] });
    assert.deepEqual(session.selection, ['20261125-100000-eval-aaaaaa', '20261125-090000-eval-bbbbbb']);
    assert.deepEqual(p.log, []);
  });

  it(
    'a page that loads while a Slurm job trains gets its live messages so far, between the ' + 'runs and the selection',
    async () => {
      const p = fakePanel();
      const caughtUp = [
        {
          runId: 'slurm-run',
          message: {
            type: 'started',
            runId: 'slurm-run',
            runDir: '/ws/r',
            backend: 'pytorch',
            device: 'cpu x2',
            notes: [],
          } as const,
        },
        { runId: 'slurm-run', message: { type: 'progress', phase: 'epoch 2/3', done: 5, total: 9 } as const },
      ];
      const session = new ResultsSession({ ...p.ports, catchUp: () => caughtUp }, ['slurm-run']);
      await session.receive({ type: 'ready' });
      assert.deepEqual(
        p.posted.map((m) => m.type),
        ['runs', 'live', 'live', 'select'],
      );
      assert.deepEqual(p.posted[2], { type: 'live', runId: 'slurm-run', message: caughtUp[1]?.message });
    },
  );

  it('rejects and logs every malformed message, acting on none', async () => {
    const p = fakePanel();
    const session = new ResultsSession(p.ports);
    const malformed: unknown[] = [
      null,
      'cancel',
      42,
      [],
      { type: 'cancel' },
      { type: 'cancel', runId: 7 },
      { type: 'cancel', runId: '../../etc' },
      { type: 'openFolder', runId: '/etc/passwd' },
      { type: 'cancel', runId: 'queued-1', extra: true },
      { type: 'export', format: 'exe', runIds: ['20261125-100000-eval-aaaaaa'] },
      { type: 'export', format: 'json', runIds: [] },
      {
        type: 'export',
        format: 'png',
        runIds: ['20261125-100000-eval-aaaaaa'],
        chart: 'curves',
        pngDataUrl: 'javascript:alert(1)',
      },
      {
        type: 'export',
        format: 'png',
        runIds: ['20261125-100000-eval-aaaaaa'],
        chart: 'curves',
        pngDataUrl: 'data:image/svg+xml;base64,PHN2Zz4=',
      },
      { type: 'select', runIds: 'all' },
      { type: 'runCommand', command: 'workbench.action.terminal.new' },
      { type: 'ready', then: 'rm -rf' },
    ];
    for (const m of malformed) await session.receive(m);
    assert.equal(p.log.length, malformed.length, p.log.join('\n'));
    for (const line of p.log) assert.match(line, /^results panel: rejected a malformed message: /);
    assert.match(p.log[14] ?? '', /"runCommand"/);
    assert.deepEqual([p.posted, p.cancelled, p.revealed, p.saved], [[], [], [], []], 'nothing acted on');
  });

  it('logs a huge or unserialisable message briefly', async () => {
    const p = fakePanel();
    const session = new ResultsSession(p.ports);
    await session.receive({ type: 'x'.repeat(10_000) });
    const cyclic: Record<string, unknown> = { type: 'cancel' };
    cyclic.self = cyclic;
    await session.receive(cyclic);
    assert.ok((p.log[0]?.length ?? 0) < 300);
    assert.match(p.log[1] ?? '', /\[object Object\]/);
  });

  it('cancels through the queue, reveals a run folder, and logs requests for runs that are not there', async () => {
    const p = fakePanel();
    const session = new ResultsSession(p.ports);
    await session.receive({ type: 'cancel', runId: 'queued-2' });
    await session.receive({ type: 'cancel', runId: '20261125-100000-eval-aaaaaa' });
    await session.receive({ type: 'openFolder', runId: '20261125-090000-eval-bbbbbb' });
    await session.receive({ type: 'openFolder', runId: 'gone' });
    assert.deepEqual(p.cancelled, ['queued-2', '20261125-100000-eval-aaaaaa']);
    assert.deepEqual(p.revealed, ['/ws/.robustness-lens/runs/20261125-090000-eval-bbbbbb']);
    assert.deepEqual(p.log, [
      'results panel: no queued or running run 20261125-100000-eval-aaaaaa to cancel',
      'results panel: no run folder for gone',
    ]);
  });

  it("exports JSON, CSV and Markdown of the named runs, the page's own text, and a chart as PNG bytes", async () => {
    const p = fakePanel();
    const session = new ResultsSession(p.ports);
    await session.receive({ type: 'export', format: 'json', runIds: ['20261125-100000-eval-aaaaaa'] });
    await session.receive({
      type: 'export',
      format: 'csv',
      runIds: ['20261125-100000-eval-aaaaaa', '20261125-090000-eval-bbbbbb'],
    });
    await session.receive({ type: 'export', format: 'markdown', runIds: ['20261125-100000-eval-aaaaaa'] });
    await session.receive({
      type: 'export',
      format: 'csv',
      runIds: ['20261125-100000-eval-aaaaaa'],
      chart: 'attacks',
      content: 'attack,accuracy\r\npgd,0.12\r\n',
    });
    await session.receive({
      type: 'export',
      format: 'png',
      runIds: ['20261125-100000-eval-aaaaaa'],
      chart: 'attacks',
      pngDataUrl: PNG,
    });
    assert.deepEqual(
      p.saved.map((s) => [s.name, s.format]),
      [
        ['20261125-100000-eval-aaaaaa.json', 'json'],
        ['robustness-comparison.csv', 'csv'],
        ['20261125-100000-eval-aaaaaa.md', 'markdown'],
        ['20261125-100000-eval-aaaaaa-attacks.csv', 'csv'],
        ['20261125-100000-eval-aaaaaa-attacks.png', 'png'],
      ],
    );
    const json = JSON.parse(p.saved[0]?.data as string) as RunRecord;
    assert.equal(json.result?.evaluation?.robustAccuracy, 0.12);
    assert.match(
      p.saved[1]?.data as string,
      /20261125-090000-eval-bbbbbb,eval,MNIST-small,mnist,Linf,0\.3,,pgd,robust_accuracy,0\.12/,
    );
    assert.match(p.saved[2]?.data as string, /\| pgd \| 12\.0% \| 4\.3 \|/);
    assert.equal(p.saved[3]?.data, 'attack,accuracy\r\npgd,0.12\r\n');
    const png = p.saved[4]?.data as Uint8Array;
    assert.deepEqual([...png.subarray(0, 4)], [0x89, 0x50, 0x4e, 0x47]);
    assert.equal(p.log.filter((l) => !l.startsWith('results panel: exported')).length, 0, p.log.join('\n'));
  });

  it('refuses to export a run that does not exist', async () => {
    const p = fakePanel();
    const session = new ResultsSession(p.ports);
    await session.receive({ type: 'export', format: 'json', runIds: ['20261125-100000-eval-aaaaaa', 'nope'] });
    assert.deepEqual(p.saved, []);
    assert.deepEqual(p.log, ['results panel: export refused: no run nope']);
  });

  it('a failing save is logged, not thrown at the page', async () => {
    const p = fakePanel();
    const session = new ResultsSession({
      ...p.ports,
      save: async () => {
        throw new Error('EACCES: permission denied');
      },
    });
    await session.receive({ type: 'export', format: 'json', runIds: ['20261125-100000-eval-aaaaaa'] });
    assert.deepEqual(p.log, ['results panel: export failed: EACCES: permission denied']);
  });
});
