import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { RunMessage } from '../../../src/engine/run/run-messages';
import { FollowedRuns } from '../../../src/extension/runs/followed-runs';
import type { JobAnswer } from '../../../src/extension/runs/job-state';
import { readRunFolder, runsFolder } from '../../../src/extension/runs/run-folders';
import { trainSummary } from './run-samples';

const json = (v: unknown): string => JSON.stringify(v);
const torchConfig = {
  kind: 'train',
  backend: 'torch',
  model: { name: 'MNIST-small' },
  data: 'mnist',
  config: { epochs: 2, threat: { norm: 'Linf', eps: 0.3 } },
};
const epoch = (n: number) => trainSummary('x').history?.[n - 1];

interface Harness {
  readonly ws: string;
  readonly runs: FollowedRuns;
  readonly messages: { runId: string; message: RunMessage }[];
  readonly changes: { count: number };
  /** What Slurm answers next, by job id. */
  readonly slurm: Map<string, JobAnswer>;
  readonly clock: { now: number };
  run(id: string, files: Record<string, string>): string;
  append(id: string, text: string): void;
  record(id: string): ReturnType<FollowedRuns['decorate']>;
}

function harness(t: { after(fn: () => void): void }, owned: readonly string[] = []): Harness {
  const ws = fs.mkdtempSync(path.join(os.tmpdir(), 'rl-followed-'));
  t.after(() => fs.rmSync(ws, { recursive: true, force: true }));
  const messages: Harness['messages'] = [];
  const changes = { count: 0 };
  const slurm = new Map<string, JobAnswer>();
  const clock = { now: 1_000_000 };
  const runs = new FollowedRuns({
    workspaces: () => [ws],
    queryJob: async (id) => slurm.get(id) ?? 'unknown',
    owned: (id) => owned.includes(id),
    onMessage: (runId, message) => messages.push({ runId, message }),
    onChange: () => changes.count++,
    log: () => undefined,
    now: () => clock.now,
  });
  const dirOf = (id: string): string => path.join(runsFolder(ws), id);
  return {
    ws,
    runs,
    messages,
    changes,
    slurm,
    clock,
    run(id, files) {
      fs.mkdirSync(dirOf(id), { recursive: true });
      for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dirOf(id), name), text);
      return dirOf(id);
    },
    append(id, text) {
      fs.appendFileSync(path.join(dirOf(id), 'events.jsonl'), text);
    },
    record(id) {
      const { record } = readRunFolder(dirOf(id));
      assert.ok(record, `a record for ${id}`);
      return runs.decorate(record);
    },
  };
}

const types = (h: Harness): string[] => h.messages.map((m) => m.message.type);

describe('following PyTorch runs through their run folders', () => {
  it(
    'a Slurm job: PENDING, then RUNNING with each epoch from events.jsonl as it grows, then ' +
      'COMPLETED from result.json',
    async (t) => {
      const h = harness(t);
      const id = '20261205-040000-train-aaaaaa';
      h.run(id, { 'config.json': json(torchConfig), 'slurm-job.json': json({ jobId: '41', jobs: ['41'] }) });
      h.slurm.set('41', { state: 'PENDING' });
      h.runs.scan();
      assert.ok(h.runs.active);
      await h.runs.poll();
      assert.equal(h.record(id).state, 'queued');
      assert.deepEqual(h.record(id).job, { scheduler: 'slurm', id: '41', phase: 'PENDING' });

      h.slurm.set('41', { state: 'RUNNING' });
      const progress = json({ type: 'progress', phase: 'epoch 1/2', done: 3, total: 10 });
      // The trainer is half-way through writing a line: only whole lines are taken.
      h.append(
        id,
        `${json({ type: 'started', runId: id, runDir: 'x', backend: 'pytorch', device: 'cpu x2', notes: [] })}\n` +
          progress.slice(0, 20),
      );
      await h.runs.poll();
      assert.deepEqual(types(h), ['started']);
      assert.equal(h.record(id).state, 'running');
      assert.equal(h.record(id).job?.phase, 'RUNNING');
      h.append(id, `${progress.slice(20)}\n${json({ type: 'metric', epoch: epoch(1) })}\n`);
      await h.runs.poll();
      assert.deepEqual(types(h), ['started', 'progress', 'metric']);
      assert.deepEqual(h.messages[2]?.message, { type: 'metric', epoch: epoch(1) });
      // A panel opened now catches up: the start, every epoch so far, the last progress.
      assert.deepEqual(
        h.runs.catchUp().map((m) => [m.runId, m.message.type]),
        [
          [id, 'started'],
          [id, 'metric'],
          [id, 'progress'],
        ],
      );

      // The trainer's own result line is not taken (an earlier attempt's would look the same): result.json is.
      h.append(
        id,
        `${json({ type: 'metric', epoch: epoch(2) })}\n${json({ type: 'result', result: trainSummary(id) })}\n`,
      );
      await h.runs.poll();
      assert.deepEqual(types(h), ['started', 'progress', 'metric', 'metric']);
      assert.ok(h.runs.active);
      fs.writeFileSync(path.join(runsFolder(h.ws), id, 'result.json'), json(trainSummary(id)));
      h.slurm.set('41', { state: 'COMPLETED' });
      const before = h.changes.count;
      await h.runs.poll();
      assert.deepEqual(types(h).slice(-1), ['result']);
      assert.equal(h.runs.active, false);
      assert.ok(h.changes.count > before, 'the list is told');
      assert.equal(h.record(id).state, 'finished');
      assert.equal(h.record(id).job?.phase, 'COMPLETED');
      assert.ok(h.messages.every((m) => m.runId === id));
    },
  );

  it(
    'a job cancelled while it waits ends CANCELLED, with an error saying so; a cancelled ' +
      "trainer's result says CANCELLED too",
    async (t) => {
      const h = harness(t);
      const waiting = '20261205-040100-train-bbbbbb';
      const running = '20261205-040200-train-cccccc';
      h.run(waiting, { 'config.json': json(torchConfig), 'slurm-job.json': json({ jobId: '42' }) });
      h.run(running, { 'config.json': json(torchConfig), 'slurm-job.json': json({ jobId: '43' }) });
      h.slurm.set('42', { state: 'CANCELLED' });
      h.slurm.set('43', { state: 'RUNNING' });
      h.runs.scan();
      await h.runs.poll();
      assert.equal(h.record(waiting).job?.phase, 'CANCELLED');
      assert.equal(h.record(waiting).state, 'interrupted');
      const error = h.messages.find((m) => m.runId === waiting)?.message;
      assert.equal(error?.type, 'error');
      assert.match(
        error?.type === 'error' ? error.message : '',
        /Slurm job 42 ended CANCELLED without a result; see slurm-42\.out/,
      );
      assert.equal(h.record(running).job?.phase, 'RUNNING');
      // scancel sends SIGTERM; the trainer saves what it finished and a cancelled result.
      fs.writeFileSync(
        path.join(runsFolder(h.ws), running, 'result.json'),
        json({ ...trainSummary(running), status: 'cancelled' }),
      );
      h.slurm.set('43', { state: 'CANCELLED' });
      await h.runs.poll();
      assert.equal(h.record(running).job?.phase, 'CANCELLED');
      assert.equal(h.runs.active, false);
    },
  );

  it(
    'a job Slurm no longer knows, without a result: PENDING just after sbatch, FAILED later ' +
      "with the trainer's last error",
    async (t) => {
      const h = harness(t);
      const id = '20261205-040300-train-dddddd';
      h.run(id, { 'config.json': json(torchConfig), 'slurm-job.json': json({ jobId: '44' }) });
      h.runs.scan();
      await h.runs.poll();
      assert.equal(h.record(id).job?.phase, 'PENDING');
      h.append(
        id,
        `${json({ type: 'error', message: 'an old attempt failed' })}\n` +
          `${json({ type: 'started', runId: id, runDir: 'x', backend: 'pytorch', device: 'cpu', notes: [] })}\n`,
      );
      h.append(id, `${json({ type: 'error', message: 'RuntimeError: CUDA out of memory' })}\n`);
      h.clock.now += 120_000;
      await h.runs.poll();
      assert.equal(h.record(id).job?.phase, 'FAILED');
      const last = h.messages.at(-1)?.message;
      assert.equal(last?.type, 'error');
      assert.match(last?.type === 'error' ? last.message : '', /without a result: RuntimeError: CUDA out of memory$/);
      assert.ok(!types(h).slice(0, -1).includes('error'), 'errors in the log are not forwarded one by one');
    },
  );

  it('where Slurm cannot be asked it still follows the folder (shared storage) until its result', async (t) => {
    const h = harness(t);
    const id = '20261205-040400-train-eeeeee';
    h.run(id, { 'config.json': json(torchConfig), 'slurm-job.json': json({ jobId: '45' }) });
    h.slurm.set('45', 'unreachable');
    h.runs.scan();
    h.append(id, `${json({ type: 'metric', epoch: epoch(1) })}\n`);
    await h.runs.poll();
    assert.equal(h.record(id).job?.phase, 'UNKNOWN');
    assert.equal(h.record(id).state, 'running');
    assert.deepEqual(types(h), ['metric']);
    fs.writeFileSync(path.join(runsFolder(h.ws), id, 'result.json'), json(trainSummary(id)));
    await h.runs.poll();
    assert.equal(h.record(id).job?.phase, 'COMPLETED');
    assert.deepEqual(types(h), ['metric', 'result']);
  });

  it('a resubmitted run (a new job id in slurm-job.json) is followed again; runs the queue owns are not', async (t) => {
    const owned = '20261205-040600-train-ffffff';
    const h = harness(t, [owned]);
    const id = '20261205-040500-train-111111';
    h.run(id, { 'config.json': json(torchConfig), 'slurm-job.json': json({ jobId: '46' }) });
    h.run(owned, { 'config.json': json(torchConfig), 'slurm-job.json': json({ jobId: '47' }) });
    h.run('20261205-040700-train-222222', { 'config.json': json(torchConfig) });
    h.slurm.set('46', { state: 'FAILED' });
    h.runs.scan();
    await h.runs.poll();
    assert.equal(h.runs.active, false, 'the owned run and the engine run are not followed; 46 ended');
    assert.equal(h.record(id).job?.phase, 'FAILED');
    h.runs.scan();
    assert.equal(h.runs.active, false, 'an ended job stays ended');
    fs.writeFileSync(path.join(runsFolder(h.ws), id, 'slurm-job.json'), json({ jobId: '48', jobs: ['46', '48'] }));
    h.slurm.set('48', { state: 'RUNNING' });
    h.runs.scan();
    assert.ok(h.runs.active);
    await h.runs.poll();
    assert.deepEqual(h.record(id).job, { scheduler: 'slurm', id: '48', phase: 'RUNNING' });
  });

  it(
    'after a reload: a trainer of this machine is followed while its process lives (scan ' + 'with includeLocal only)',
    async (t) => {
      const h = harness(t);
      const id = '20261205-040800-train-333333';
      const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
      t.after(() => child.kill());
      h.run(id, { 'config.json': json(torchConfig), 'process.json': json({ pid: child.pid, host: os.hostname() }) });
      h.runs.scan();
      assert.equal(h.runs.active, false, 'a later scan leaves local trainers to the queue');
      h.runs.scan(true);
      assert.ok(h.runs.active);
      h.append(id, `${json({ type: 'metric', epoch: epoch(1) })}\n`);
      await h.runs.poll();
      assert.equal(h.record(id).state, 'running');
      assert.equal(h.record(id).job, undefined, 'no Slurm job');
      child.kill();
      await new Promise((resolve) => child.once('exit', resolve));
      await h.runs.poll();
      assert.equal(h.runs.active, false);
      const last = h.messages.at(-1)?.message;
      assert.match(
        last?.type === 'error' ? last.message : '',
        new RegExp(`the trainer \\(process ${child.pid}\\) stopped without a result`),
      );
    },
  );
});
