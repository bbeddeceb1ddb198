import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { RunMessage } from '../../../src/engine/run/run-messages';
import { RunQueue, type RunEntry, type RunExecutor } from '../../../src/extension/runs/run-queue';
import { evalRequest, type RunRequest } from '../../../src/extension/runs/run-request';
import { describeProgress } from '../../../src/extension/runs/run-text';
import { evalSummary } from './run-samples';

/** An executor whose runs the test drives by hand. */
function fakeExecutor(): {
  execute: RunExecutor;
  started: { request: RunRequest; send: (m: RunMessage) => void; cancels: number }[];
} {
  const started: { request: RunRequest; send: (m: RunMessage) => void; cancels: number }[] = [];
  const execute: RunExecutor = (request, onMessage) => {
    const run = { request, send: onMessage, cancels: 0 };
    started.push(run);
    return {
      cancel: () => {
        run.cancels++;
      },
    };
  };
  return { execute, started };
}

const request = (name: string): RunRequest =>
  evalRequest({
    modelFile: `/ws/${name}.arch.yaml`,
    modelName: name,
    workspace: '/ws',
    data: 'mnist',
    eps: 0.3,
    attacks: ['fgsm'],
  });

describe('the run queue', () => {
  it('runs one at a time; the second waits, says so, and starts when the first ends', () => {
    const { execute, started } = fakeExecutor();
    const queue = new RunQueue(execute);
    const events: string[] = [];
    queue.onEvent((e, m) => events.push(`${e.key}:${e.state}${m ? `:${m.type}` : ''}`));
    const a = queue.enqueue(request('a'));
    const b = queue.enqueue(request('b'));
    assert.equal(started.length, 1, 'only the first run started');
    assert.equal(queue.find(a.key)?.state, 'running');
    const waiting = queue.find(b.key) as RunEntry;
    assert.equal(waiting.state, 'queued');
    assert.equal(waiting.position, 1);
    assert.equal(describeProgress(waiting), 'queued (1 run ahead)');

    started[0]?.send({
      type: 'started',
      runId: 'run-a',
      runDir: '/ws/.robustness-lens/runs/run-a',
      backend: 'wasm',
      device: 'CPU',
      notes: [],
    });
    started[0]?.send({ type: 'progress', phase: 'attacking', done: 25, total: 50, etaSeconds: 3 });
    assert.equal(queue.find('run-a')?.key, a.key, 'found by the engine run id');
    assert.equal(describeProgress(queue.find('run-a') as RunEntry), 'attacking: 25/50 images · 3 s left');
    started[0]?.send({ type: 'result', result: evalSummary('run-a') });
    assert.equal(queue.find(a.key), undefined, 'a finished run leaves the queue');
    assert.equal(started.length, 2, 'the second run started');
    assert.equal(started[1]?.request, b.request);
    assert.equal(queue.find(b.key)?.state, 'running');
    assert.deepEqual(events.slice(0, 4), [
      `${a.key}:queued`,
      `${a.key}:running`,
      `${b.key}:queued`,
      `${a.key}:running:started`,
    ]);
    assert.ok(events.includes(`${a.key}:finished:result`));
  });

  it('cancelling a waiting run removes it without starting it; cancelling a running one asks the engine', () => {
    const { execute, started } = fakeExecutor();
    const queue = new RunQueue(execute);
    const finished: RunEntry[] = [];
    queue.onEvent((e) => {
      if (e.state === 'finished') finished.push(e);
    });
    const a = queue.enqueue(request('a'));
    const b = queue.enqueue(request('b'));
    const c = queue.enqueue(request('c'));
    assert.equal(queue.find(c.key)?.position, 2);
    assert.ok(queue.cancel(b.key));
    assert.equal(finished[0]?.key, b.key);
    assert.equal(finished[0]?.outcome, 'cancelled');
    assert.equal(queue.find(c.key)?.position, 1, 'the next one moved up');
    assert.ok(queue.cancel(a.key));
    assert.equal(started[0]?.cancels, 1);
    assert.equal(queue.find(a.key)?.cancelRequested, true);
    assert.equal(describeProgress(queue.find(a.key) as RunEntry), 'cancelling after the current step...');
    assert.equal(started.length, 1, 'nothing else starts before the running run ends');
    started[0]?.send({ type: 'result', result: { ...evalSummary('run-a'), status: 'cancelled' } });
    assert.equal(finished[1]?.outcome, 'cancelled');
    assert.deepEqual(
      started.map((s) => s.request),
      [a.request, c.request],
      'b never ran',
    );
    assert.equal(queue.cancel(b.key), false, 'a finished run cannot be cancelled');
    assert.equal(queue.cancel('no-such-run'), false);
  });

  it('a failing run (an error message, or an executor that throws) ends as failed and the next one starts', () => {
    let calls = 0;
    const sends: ((m: RunMessage) => void)[] = [];
    const queue = new RunQueue((_request, onMessage) => {
      calls++;
      if (calls === 1) throw new Error('fork failed');
      sends.push(onMessage);
      return { cancel: () => undefined };
    });
    const finished: RunEntry[] = [];
    queue.onEvent((e) => {
      if (e.state === 'finished') finished.push(e);
    });
    queue.enqueue(request('a'));
    assert.equal(finished[0]?.outcome, 'failed');
    assert.match(finished[0]?.error ?? '', /could not start the engine: fork failed/);
    queue.enqueue(request('b'));
    sends[0]?.({ type: 'error', message: 'MNIST-small has 10 output classes but CIFAR-10 has 100' });
    assert.equal(finished[1]?.outcome, 'failed');
    assert.match(describeProgress(finished[1] as RunEntry), /^failed: MNIST-small has 10/);
    sends[0]?.({ type: 'result', result: evalSummary('late') });
    assert.equal(finished.length, 2, 'messages after the end are ignored');
    assert.deepEqual(queue.active(), []);
  });

  it('a listener that throws does not stop the queue', (t) => {
    t.mock.method(console, 'error', () => undefined);
    const { execute, started } = fakeExecutor();
    const queue = new RunQueue(execute);
    queue.onEvent(() => {
      throw new Error('disposed webview');
    });
    queue.enqueue(request('a'));
    queue.enqueue(request('b'));
    started[0]?.send({ type: 'error', message: 'boom' });
    assert.equal(started.length, 2);
  });

  it('cancelAll empties the queue and stops the running run', () => {
    const { execute, started } = fakeExecutor();
    const queue = new RunQueue(execute);
    queue.enqueue(request('a'));
    queue.enqueue(request('b'));
    queue.cancelAll();
    assert.equal(started[0]?.cancels, 1);
    assert.deepEqual(
      queue.active().map((e) => e.state),
      ['running'],
    );
  });
});
