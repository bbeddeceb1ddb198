import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { EngineMessage, EngineRequest } from '../../../src/engine/protocol';
import type { RunMessage } from '../../../src/engine/run/run-messages';
import type { TrainRunOptions } from '../../../src/engine/run/execute-train';
import { EngineClient, type WorkerProcess } from '../../../src/extension/runs/engine-client';
import { evalRequest, trainRequest } from '../../../src/extension/runs/run-request';
import { evalSummary } from './run-samples';

class FakeWorker implements WorkerProcess {
  readonly sent: EngineRequest[] = [];
  killed = false;
  private messageListener: ((m: unknown) => void) | undefined;
  private exitListener: ((code: number | null, signal: string | null) => void) | undefined;
  send(message: EngineRequest): boolean {
    this.sent.push(message);
    return true;
  }
  onMessage(listener: (m: unknown) => void): void {
    this.messageListener = listener;
  }
  onExit(listener: (code: number | null, signal: string | null) => void): void {
    this.exitListener = listener;
  }
  kill(): void {
    this.killed = true;
  }
  emit(message: EngineMessage): void {
    this.messageListener?.(message);
  }
  exit(code: number | null, signal: string | null = null): void {
    this.exitListener?.(code, signal);
  }
}

const evalReq = evalRequest({
  modelFile: '/ws/m.arch.yaml',
  workspace: '/ws',
  data: 'mnist',
  eps: 0.3,
  attacks: ['fgsm', 'pgd'],
  samples: 50,
});
const trainReq = trainRequest({
  modelFile: '/ws/m.arch.yaml',
  workspace: '/ws',
  data: 'mnist',
  eps: 0.3,
  config: { epochs: 1 },
});

describe('the engine client', () => {
  it("starts the worker on the first run and routes each run's stream by request id", () => {
    const workers: FakeWorker[] = [];
    const client = new EngineClient(() => {
      const w = new FakeWorker();
      workers.push(w);
      return w;
    });
    assert.equal(workers.length, 0, 'no process before the first run');
    const a: RunMessage[] = [];
    const b: RunMessage[] = [];
    client.execute(evalReq, (m) => a.push(m));
    client.execute(trainReq, (m) => b.push(m));
    assert.equal(workers.length, 1, 'one worker for both');
    const w = workers[0] as FakeWorker;
    assert.deepEqual(
      w.sent.map((r) => [r.id, r.type]),
      [
        [1, 'eval'],
        [2, 'train'],
      ],
    );
    assert.deepEqual(w.sent[0]?.type === 'eval' && w.sent[0].options, evalReq.options);
    w.emit({ id: 2, type: 'run', message: { type: 'progress', phase: 'epoch 1/1', done: 1, total: 10 } });
    w.emit({ id: 1, type: 'run', message: { type: 'result', result: evalSummary('x') } });
    w.emit({ id: 1, type: 'run', message: { type: 'progress', phase: 'late', done: 1, total: 1 } });
    assert.deepEqual(
      a.map((m) => m.type),
      ['result'],
    );
    assert.deepEqual(
      b.map((m) => m.type),
      ['progress'],
    );
    client.dispose();
    assert.ok(w.killed);
    assert.deepEqual(
      b.map((m) => m.type),
      ['progress', 'error'],
      'a run in progress ends when the editor stops the engine',
    );
  });

  it('sends a cancel naming the run, and nothing once the run has ended', () => {
    const w = new FakeWorker();
    const client = new EngineClient(() => w);
    const run = client.execute(evalReq, () => undefined);
    run.cancel();
    assert.deepEqual(w.sent[1], { id: 2, type: 'cancel', target: 1 });
    w.emit({ id: 1, type: 'run', message: { type: 'error', message: 'x' } });
    run.cancel();
    assert.equal(w.sent.length, 2);
    client.dispose();
  });

  it(
    'turns a worker that dies or refuses a request into an error for its runs, and starts a ' + 'new worker next time',
    () => {
      const workers: FakeWorker[] = [];
      const client = new EngineClient(() => {
        const w = new FakeWorker();
        workers.push(w);
        return w;
      });
      const got: RunMessage[] = [];
      client.execute(evalReq, (m) => got.push(m));
      workers[0]?.exit(null, 'SIGKILL');
      assert.equal(got[0]?.type, 'error');
      assert.match(
        got[0]?.type === 'error' ? got[0].message : '',
        /engine process stopped unexpectedly \(signal SIGKILL\)/,
      );
      client.execute(evalReq, (m) => got.push(m));
      assert.equal(workers.length, 2);
      workers[1]?.emit({ id: 2, type: 'error', message: 'malformed request', diagnostics: [] });
      assert.match(got[1]?.type === 'error' ? got[1].message : '', /engine refused the run: malformed request/);
      client.dispose();
    },
  );

  it('stops an idle worker so its memory goes back, and ignores that exit', async () => {
    const workers: FakeWorker[] = [];
    const client = new EngineClient(() => {
      const w = new FakeWorker();
      workers.push(w);
      return w;
    }, 20);
    const got: RunMessage[] = [];
    client.execute(evalReq, (m) => got.push(m));
    workers[0]?.emit({ id: 1, type: 'run', message: { type: 'result', result: evalSummary('x') } });
    await new Promise((r) => setTimeout(r, 60));
    assert.ok(workers[0]?.killed);
    workers[0]?.exit(null, 'SIGTERM');
    assert.equal(got.length, 1, 'no error for a worker we stopped');
    client.execute(evalReq, (m) => got.push(m));
    assert.equal(workers.length, 2);
    client.dispose();
  });

  it('hands a Slurm run to the worker: resolves once it answers "submitted", rejects with its error', async () => {
    const w = new FakeWorker();
    const client = new EngineClient(() => w, 20);
    const torch = {
      launch: {
        python: 'python3',
        nprocPerNode: 2,
        nnodes: 1,
        device: 'cpu' as const,
        amp: false,
        syncBatchNorm: false,
      },
      slurm: { partition: 'debug' },
    };
    assert.equal(trainReq.kind, 'train');
    const request = {
      kind: 'train' as const,
      label: trainReq.label,
      options: { ...(trainReq.options as TrainRunOptions), torch },
    };
    const submitted = client.submit(request);
    const sent = w.sent[0];
    assert.equal(sent?.type, 'train');
    assert.deepEqual(sent?.type === 'train' && sent.options.torch, torch);
    w.emit({ id: sent?.id ?? -1, type: 'submitted', runId: 'r1', runDir: '/ws/.robustness-lens/runs/r1', jobId: '17' });
    assert.deepEqual(await submitted, { runId: 'r1', runDir: '/ws/.robustness-lens/runs/r1', jobId: '17' });
    const refused = client.submit(request);
    w.emit({
      id: w.sent[1]?.id ?? -1,
      type: 'run',
      message: { type: 'error', message: 'sbatch refused the job: invalid partition' },
    });
    await assert.rejects(refused, /sbatch refused the job: invalid partition/);
    // Nothing left running: the idle worker goes.
    await new Promise((resolve) => setTimeout(resolve, 60));
    assert.equal(w.killed, true);
    client.dispose();
  });
});
