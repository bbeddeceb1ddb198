/**
 * "Evaluate robustness (runs your PyTorch)" as the editor starts it, without the editor: the run
 * request built from a lens's model goes through the run queue and the real engine worker, which
 * runs the model with Debian's PyTorch and writes a run folder the results panel lists.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { RunSummary } from '../../../src/engine/run/run-messages';
import { EngineClient, forkWorker } from '../../../src/extension/runs/engine-client';
import { listRuns } from '../../../src/extension/runs/run-listing';
import { RunQueue, type RunEntry } from '../../../src/extension/runs/run-queue';
import { entryFor, torchEvalRequest } from '../../../src/extension/runs/torch-eval-request';
import { NO_TORCH, PYTHON } from '../../engine/weights/torch-support';
import { PADDED_NET_PY as MODEL } from '../../helpers/padded-net';

const WORKER = path.join(__dirname, '..', '..', '..', 'engine-worker.js');

/** A model the engine cannot build (ZeroPad2d), made by a factory, for 28x28 digits. */

describe("an evaluation on the user's PyTorch through the run queue", { skip: NO_TORCH }, () => {
  it('runs the entry of the lens on the torch back end, flags untrained weights, and lists the run', async (t) => {
    const workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'rl-torch-eval-'));
    t.after(() => fs.rmSync(workspace, { recursive: true, force: true }));
    const file = path.join(workspace, 'models', 'padded.py');
    fs.mkdirSync(path.dirname(file));
    fs.writeFileSync(file, MODEL);
    const log: string[] = [];
    const client = new EngineClient(forkWorker(WORKER, (l) => log.push(l)));
    t.after(() => client.dispose());
    const queue = new RunQueue(client.execute);
    const entry = entryFor(file, workspace, 'padded_net');
    assert.equal(entry, 'models/padded.py:padded_net');
    const request = torchEvalRequest({
      modelFile: file,
      modelName: 'padded_net',
      workspace,
      data: 'mnist',
      eps: 0.1,
      attacks: ['fgsm'],
      samples: 8,
      batchSize: 8,
      python: PYTHON,
      entry,
      weights: { kind: 'untrained' },
      device: 'cpu',
    });
    const finished = new Promise<RunEntry>((resolve) =>
      queue.onEvent((e) => {
        if (e.state === 'finished') resolve(e);
      }),
    );
    queue.enqueue(request);
    const run = await finished;
    assert.equal(run.outcome, 'completed', `${run.error ?? ''}\n${log.join('\n')}`);
    const evaluation = run.summary?.evaluation;
    assert.equal(evaluation?.samples, 8);
    assert.ok(
      evaluation?.warnings?.some((w) => w.code === 'untrained-weights'),
      'flagged untrained',
    );
    const written = JSON.parse(fs.readFileSync(path.join(run.runDir ?? '', 'result.json'), 'utf8')) as RunSummary & {
      backend: { name: string; device: string };
    };
    assert.equal(written.backend.name, 'torch');
    assert.match(written.backend.device, /cpu/i);
    const config = JSON.parse(fs.readFileSync(path.join(run.runDir ?? '', 'config.json'), 'utf8')) as {
      model: { entry: string };
    };
    assert.equal(config.model.entry, entry);
    const listed = listRuns([workspace], queue.active(), () => undefined);
    assert.deepEqual(
      listed.map((r) => [r.id, r.state]),
      [[run.runId, 'finished']],
    );
  });
});
