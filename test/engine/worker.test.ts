import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fork, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { EngineMessage } from '../../src/engine/protocol';
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
