import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { loadBundledMnist } from '../../../src/engine/data/bundled-mnist';
import { take } from '../../../src/engine/data/dataset';
import { writeDataFile } from '../../../src/engine/torch/data-file';
import { RunFollower } from '../../../src/engine/torch/follow-run';
import { Random } from '../../../src/engine/util/random';
import { runRepoPython } from '../../helpers/repo-python';
import { cli, metrics, MNIST_DIR, PYTHON, readResult, ROOT, runFolderOf, TINY, torchMissing } from './torch-support';

const missing = torchMissing();
const MODEL = path.join(ROOT, 'examples', 'mnist-small.arch.yaml');

/** `train MODEL --backend torch` with torchrun: 2 gloo processes on the CPU, tiny settings. */
function torchrun(workspace: string, ...extra: string[]): ReturnType<typeof cli> {
  const processes = ['--nproc-per-node', '2', '--device', 'cpu'];
  return cli(['train', MODEL, '--backend', 'torch', ...processes, ...extra, '--workspace', workspace, ...TINY]);
}

/** The workers torchrun started (its child processes), from /proc. */
function childrenOf(pid: number): number[] {
  try {
    return fs.readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

function epochsDone(runDir: string): number {
  try {
    return (JSON.parse(fs.readFileSync(path.join(runDir, 'checkpoint.json'), 'utf8')) as { epochsDone: number })
      .epochsDone;
  } catch {
    return 0;
  }
}

describe('the PyTorch trainer from the CLI', { skip: missing }, () => {
  let uninterrupted: ReturnType<typeof metrics> = [];
  it("draws the engine's numbers: the same permutation, uniforms and normals from a seed", () => {
    const r = new Random(2024);
    const ours = {
      perm: Array.from(new Random(77).permutation(50)),
      u: Array.from({ length: 7 }, () => r.uniform(-0.3, 0.3)),
      g: Array.from({ length: 5 }, () => r.normal()),
    };
    const theirs = JSON.parse(
      runRepoPython(PYTHON, [
        'import json; from robustness_lens_trainer.rng import Random',
        'r = Random(2024)',
        'print(json.dumps({"perm": Random(77).permutation(50).tolist(), "u": ' +
          'r.uniform_array(-0.3, 0.3, 7).tolist(), "g": r.normal_array(5).tolist()}))',
      ]),
    ) as typeof ours;
    assert.deepEqual(theirs.perm, ours.perm);
    theirs.u.forEach((v, i) => assert.ok(Math.abs(v - (ours.u[i] ?? NaN)) < 1e-15, `uniform ${i}`));
    theirs.g.forEach((v, i) => assert.ok(Math.abs(v - (ours.g[i] ?? NaN)) < 1e-12, `normal ${i}`));
  });

  it("hands the trainer the engine's pixels bit for bit (data.rlds)", (t) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rl-rlds-'));
    t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
    const mnist = loadBundledMnist(MNIST_DIR);
    const train = take(mnist.train ?? mnist.test, 40);
    const held = take(mnist.test, 10);
    const file = path.join(dir, 'data.rlds');
    assert.equal(writeDataFile(file, { train, eval: held }).dtype, 'uint8');
    const sums = JSON.parse(
      runRepoPython(PYTHON, [
        'import json, sys; import numpy as np; from robustness_lens_trainer.data import read_data_file',
        `h, s = read_data_file(${JSON.stringify(file)})`,
        'print(json.dumps({k: [v[0].astype(np.float64).sum(), v[1].tolist(), ' +
          'list(v[0].shape)] for k, v in s.items()}))',
      ]),
    ) as Record<string, [number, number[], number[]]>;
    const sum = (a: Float32Array): number => a.reduce((s, v) => s + v, 0);
    assert.ok(Math.abs((sums.train?.[0] ?? 0) - sum(train.images)) < 1e-6 * sum(train.images));
    assert.deepEqual(sums.train?.[1], Array.from(train.labels));
    assert.deepEqual(sums.eval?.[1], Array.from(held.labels));
    assert.deepEqual(sums.eval?.[2], [10, 28, 28, 1]);
  });

  it(
    'trains with torchrun, 2 gloo processes, fills the run folder, and resumes a finished ' + 'run without change',
    async (t) => {
      const workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'rl-torchrun-'));
      t.after(() => fs.rmSync(workspace, { recursive: true, force: true }));
      const first = await torchrun(workspace);
      assert.equal(first.code, 0, first.err + first.out);
      const runDir = runFolderOf(first.out);
      for (const file of [
        'config.json',
        'environment.json',
        'result.json',
        'checkpoint.pt',
        'checkpoint.json',
        'events.jsonl',
        'data.rlds',
        'init.rlck',
      ]) {
        assert.ok(fs.existsSync(path.join(runDir, file)), file);
      }
      const result = readResult(runDir);
      assert.equal(result.status, 'completed');
      assert.deepEqual(
        result.history.map((h) => h.epoch),
        [1, 2],
      );
      uninterrupted = metrics(result.history);
      const environment = JSON.parse(fs.readFileSync(path.join(runDir, 'environment.json'), 'utf8')) as {
        worldSize: number;
        backend: string;
      };
      assert.equal(environment.worldSize, 2);
      const seen: string[] = [];
      const follower = new RunFollower(runDir, (m) => seen.push(m.type));
      follower.poll();
      assert.equal(seen[0], 'started');
      assert.equal(seen.filter((s) => s === 'metric').length, 2);
      assert.ok(seen.includes('progress') && seen.includes('checkpoint'));
      assert.equal(seen[seen.length - 1], 'result');
      // Resuming a finished run trains nothing and reports the same epochs.
      const again = await cli(['train', '--resume', runDir]);
      assert.equal(again.code, 0, again.err + again.out);
      assert.deepEqual(metrics(readResult(runDir).history), metrics(result.history));
      const listed = await cli(['runs', '--workspace', workspace, '--json']);
      const rows = JSON.parse(listed.out) as { id: string; backend: string; status: string }[];
      assert.deepEqual(
        rows.map((r) => [r.id, r.backend, r.status]),
        [[path.basename(runDir), 'torch', 'completed']],
      );
    },
  );

  it(
    'continues exactly after a killed rank: torchrun restarts the workers, which resume ' + 'from the last epoch',
    async (t) => {
      assert.equal(uninterrupted.length, 2, 'needs the uninterrupted torchrun run');
      const workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'rl-killed-rank-'));
      t.after(() => fs.rmSync(workspace, { recursive: true, force: true }));
      const running = torchrun(workspace, '--max-restarts', '1');
      const runs = path.join(workspace, '.robustness-lens', 'runs');
      let killed = 0;
      const deadline = Date.now() + 300_000;
      while (!killed && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 100));
        const runDir = fs.existsSync(runs) ? fs.readdirSync(runs).map((d) => path.join(runs, d))[0] : undefined;
        if (!runDir || epochsDone(runDir) < 1) continue;
        const owner = JSON.parse(fs.readFileSync(path.join(runDir, 'process.json'), 'utf8')) as { pid: number };
        const worker = childrenOf(owner.pid).pop();
        if (worker === undefined) continue;
        process.kill(worker, 'SIGKILL');
        killed = worker;
      }
      assert.ok(killed, 'a worker to kill after the first epoch');
      const done = await running;
      assert.equal(done.code, 0, done.err + done.out);
      const runDir = runFolderOf(done.out);
      assert.deepEqual(metrics(readResult(runDir).history), uninterrupted);
      // The workers really started twice: rank 0 announced itself once per start.
      const starts = fs
        .readFileSync(path.join(runDir, 'events.jsonl'), 'utf8')
        .split('\n')
        .filter((l) => l.includes('"type": "started"'));
      assert.equal(starts.length, 2);
    },
  );

  it('runs an entry FILE.py:factory(args) only with --trust-code', async (t) => {
    const workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'rl-entry-'));
    t.after(() => fs.rmSync(workspace, { recursive: true, force: true }));
    const file = path.join(workspace, 'net.py');
    fs.writeFileSync(
      file,
      'import torch.nn as nn\n\ndef tiny(width=8):\n    return ' +
        'nn.Sequential(nn.Flatten(), nn.Linear(784, width), nn.ReLU(), ' +
        'nn.Linear(width, 10))\n',
    );
    const entry = `${file}:tiny(width=16)`;
    const refused = await cli(['train', entry, '--backend', 'torch', '--workspace', workspace, ...TINY]);
    assert.equal(refused.code, 2);
    assert.match(refused.err, /--trust-code/);
    assert.equal(
      fs.existsSync(path.join(workspace, '.robustness-lens')),
      false,
      'nothing is prepared for a refused entry',
    );
    const trusted = await cli([
      'train',
      entry,
      '--backend',
      'torch',
      '--trust-code',
      '--workspace',
      workspace,
      ...TINY,
      '--epochs',
      '1',
    ]);
    assert.equal(trusted.code, 0, trusted.err + trusted.out);
    const checkpoint = JSON.stringify(path.join(runFolderOf(trusted.out), 'checkpoint.pt'));
    const saved = runRepoPython(PYTHON, [
      `import torch; m = torch.load(${checkpoint})['model']; print(tuple(m['1.weight'].shape))`,
    ]);
    assert.equal(saved.trim(), '(16, 784)');
  });
});
