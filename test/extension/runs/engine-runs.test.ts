import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { EngineClient, forkWorker } from '../../../src/extension/runs/engine-client';
import { listRuns } from '../../../src/extension/runs/run-listing';
import { RunQueue, type RunEntry } from '../../../src/extension/runs/run-queue';
import { evalRequest } from '../../../src/extension/runs/run-request';
import { repoPath } from '../../helpers/paths';

// dist-test/test/extension/runs/ -> dist-test/engine-worker.js, the real worker bundle.
const WORKER = path.join(__dirname, '..', '..', '..', 'engine-worker.js');

describe('runs through the real engine worker', () => {
  it('queues a second evaluation behind the first, cancels the first mid-run, and completes the second', async (t) => {
    const workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'rl-queue-'));
    t.after(() => fs.rmSync(workspace, { recursive: true, force: true }));
    const engineLog: string[] = [];
    const client = new EngineClient(forkWorker(WORKER, (l) => engineLog.push(l)));
    t.after(() => client.dispose());
    const queue = new RunQueue(client.execute);
    const model = repoPath('examples/mnist-small.arch.yaml');
    const common = { modelFile: model, workspace, data: 'mnist', eps: 0.1, backend: 'wasm' as const, pgdSteps: 5 };
    const firstRequest = evalRequest({ ...common, attacks: ['fgsm', 'pgd'], samples: 60, batchSize: 20 });
    const secondRequest = evalRequest({ ...common, attacks: ['fgsm'], samples: 20, batchSize: 20 });
    const finished = new Map<string, RunEntry>();
    let overlap = false;
    const done = new Promise<void>((resolve) => {
      queue.onEvent((entry, message) => {
        if (queue.active().filter((e) => e.state === 'running').length > 1) overlap = true;
        if (entry.request === firstRequest && message?.type === 'progress' && !entry.cancelRequested)
          queue.cancel(entry.key);
        if (entry.state === 'finished') finished.set(entry.key, entry);
        if (finished.size === 2) resolve();
      });
    });
    const first = queue.enqueue(firstRequest);
    const second = queue.enqueue(secondRequest);
    assert.equal(queue.find(second.key)?.state, 'queued');
    await done;
    assert.equal(overlap, false, 'never two runs at once');

    const a = finished.get(first.key);
    const b = finished.get(second.key);
    assert.equal(a?.outcome, 'cancelled', a?.error);
    assert.ok((a?.summary?.evaluation?.samples ?? 60) < 60, 'the first stopped early');
    assert.equal(b?.outcome, 'completed', b?.error);
    assert.equal(b?.summary?.evaluation?.samples, 20);

    const log: string[] = [];
    const runs = listRuns([workspace], queue.active(), (l) => log.push(l));
    assert.deepEqual(
      runs.map((r) => [r.id, r.state, r.result?.status]),
      [
        [b?.runId, 'finished', 'completed'],
        [a?.runId, 'finished', 'cancelled'],
      ],
    );
    const saved = JSON.parse(fs.readFileSync(path.join(b?.runDir ?? '', 'result.json'), 'utf8')) as unknown;
    assert.deepEqual(runs[0]?.result, saved, 'the panel gets result.json as written');
    assert.deepEqual(log, []);
  });
});
