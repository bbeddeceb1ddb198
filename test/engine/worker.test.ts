import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fork, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { EngineMessage } from '../../src/engine/protocol';
import type { RunMessage } from '../../src/engine/run/run-messages';
import { repoPath } from '../helpers/paths';

const WORKER = path.join(__dirname, '..', '..', 'engine-worker.js');

function next(child: ChildProcess): Promise<EngineMessage> {
  return new Promise((resolve, reject) => {
    child.once('message', (message) => resolve(message as EngineMessage));
    child.once('exit', (code) => reject(new Error(`worker exited with ${code}`)));
  });
}

describe('engine worker process', () => {
  it('answers a describe request over IPC with the parameter report', async () => {
    const child = fork(WORKER, [], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
    try {
      const text = fs.readFileSync(repoPath('examples/robarch-s.arch.yaml'), 'utf8');
      child.send({ id: 7, type: 'describe', file: 'robarch-s.arch.yaml', text });
      const reply = await next(child);
      assert.equal(reply.type, 'result');
      assert.equal(reply.id, 7);
      assert.equal(reply.type === 'result' && reply.result.total, 26_143_228);

      child.send({ id: 8, type: 'describe', file: 'bad.arch.yaml', text: 'stem: [' });
      const error = await next(child);
      assert.equal(error.type, 'error');
      assert.equal(error.id, 8);
      assert.equal(error.type === 'error' && error.diagnostics[0]?.code, 'RL101');

      child.send({ id: 9, type: 'train-everything' });
      const refused = await next(child);
      assert.deepEqual(refused, { id: 9, type: 'error', message: 'malformed request', diagnostics: [] });
    } finally {
      child.kill();
    }
  });

  it('exits when its parent disconnects, leaving no orphan', async () => {
    const child = fork(WORKER, [], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    child.disconnect();
    assert.equal(await exited, 0);
  });
});

describe('engine worker runs', () => {
  it('streams a training run, stops within a second of a cancel, and evaluates the saved weights', async (t) => {
    const workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'rl-worker-'));
    t.after(() => fs.rmSync(workspace, { recursive: true, force: true }));
    const child = fork(WORKER, [], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
    t.after(() => child.kill());
    const messages: RunMessage[] = [];
    const finished = (id: number): Promise<RunMessage> =>
      new Promise((resolve, reject) => {
        const onMessage = (raw: unknown): void => {
          const m = raw as EngineMessage;
          if (m.id !== id || m.type !== 'run') return;
          messages.push(m.message);
          if (m.message.type === 'metric' && m.message.epoch.epoch === 1) {
            cancelledAt = Date.now();
            child.send({ id: 99, type: 'cancel', target: id });
          }
          if (m.message.type === 'result' || m.message.type === 'error') {
            child.off('message', onMessage);
            resolve(m.message);
          }
        };
        child.on('message', onMessage);
        child.once('exit', (code) => reject(new Error(`worker exited with ${code}`)));
      });
    let cancelledAt = 0;
    const model = repoPath('examples/mnist-small.arch.yaml');
    child.send({
      id: 1,
      type: 'train',
      options: {
        modelFile: model,
        data: 'mnist',
        workspace,
        backend: 'wasm',
        config: {
          threat: { norm: 'Linf', eps: 0.1 },
          method: 'fast',
          epochs: 5,
          batchSize: 32,
          trainSamples: 256,
          evalSamples: 32,
          evalPgdSteps: 2,
        },
      },
    });
    const end = await finished(1);
    assert.equal(end.type, 'result');
    assert.ok(Date.now() - cancelledAt < 1000, `the run took ${Date.now() - cancelledAt} ms to stop`);
    const summary = end.type === 'result' ? end.result : undefined;
    assert.equal(summary?.status, 'cancelled');
    assert.equal(summary?.history?.length, 1, 'the finished epoch is kept');
    const started = messages.find((m) => m.type === 'started');
    assert.ok(started?.type === 'started' && started.backend === 'wasm');
    assert.ok(messages.some((m) => m.type === 'progress' && m.total === 5 * 8));
    assert.ok(messages.some((m) => m.type === 'checkpoint' && m.epoch === 1));
    const runDir = summary?.runDir ?? '';
    for (const file of ['config.json', 'environment.json', 'checkpoint.rlck', 'result.json'])
      assert.ok(fs.existsSync(path.join(runDir, file)), `${file} was not written`);

    child.send({
      id: 2,
      type: 'eval',
      options: {
        weights: runDir,
        data: 'mnist',
        workspace,
        backend: 'wasm',
        threat: { norm: 'Linf', eps: 0.1 },
        attacks: ['fgsm', 'pgd'],
        samples: 40,
        batchSize: 20,
        seed: 0,
        pgdSteps: 3,
      },
    });
    const evaluated = await finished(2);
    assert.equal(evaluated.type, 'result');
    const e = evaluated.type === 'result' ? evaluated.result.evaluation : undefined;
    assert.equal(e?.samples, 40);
    assert.deepEqual(
      e?.attacks.map((a) => a.name),
      ['fgsm', 'pgd'],
    );
    assert.ok(e && e.robustAccuracy <= (e.attacks[0]?.robustAccuracy ?? 1) && e.robustAccuracy <= e.cleanAccuracy);
    assert.equal(e?.perSample.robust.length, 40);
  });

  it('refuses a run request whose options are malformed', async () => {
    const child = fork(WORKER, [], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
    try {
      child.send({
        id: 3,
        type: 'eval',
        options: {
          data: 'mnist',
          workspace: '/tmp',
          threat: { norm: 'Linf', eps: 0.1 },
          attacks: ['rm -rf'],
          samples: 1,
          batchSize: 1,
          seed: 0,
          modelFile: 'x',
        },
      });
      assert.deepEqual(await next(child), { id: 3, type: 'error', message: 'malformed request', diagnostics: [] });
    } finally {
      child.kill();
    }
  });
});
