/**
 * `train --backend torch --init-weights W`: the PyTorch trainer starts from the given weights
 * (fine-tuning), for a model file the engine reads and for an entry FILE.py:factory(args), and
 * weights that do not fit the model give one message naming the keys.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { readModelFile } from '../../../src/core';
import { torchStateDict } from '../../../src/engine/weights/load-weights';
import { initialState } from '../../../src/engine/weights/initial-weights';
import { torchStateDictFile } from '../../../src/engine/weights/torch-writer';
import { runRepoPython } from '../../helpers/repo-python';
import { cli, PYTHON, readResult, ROOT, runFolderOf, TINY, torchMissing } from './torch-support';

const missing = torchMissing();

/** One epoch with a learning rate of 0: every learned parameter ends where the run started. */
const FROZEN = [...TINY, '--epochs', '1', '--lr', '0', '--momentum', '0', '--weight-decay', '0'];

/** `train TARGET --backend torch --init-weights WEIGHTS`, FROZEN; an entry FILE.py:factory() runs trusted. */
function trainFrom(target: string, weights: string, workspace: string, entry = false): ReturnType<typeof cli> {
  const given = [...(entry ? ['--trust-code'] : []), '--init-weights', weights, '--workspace', workspace];
  return cli(['train', target, '--backend', 'torch', ...given, ...FROZEN]);
}

/** The starting weights the run's config.json records. */
function recordedInitWeights(runDir: string): string | null {
  const config = JSON.parse(fs.readFileSync(path.join(runDir, 'config.json'), 'utf8')) as {
    model: { initWeights: string | null };
  };
  return config.model.initWeights;
}

/** The largest difference between the given file's parameters and the run's final ones (BN statistics left out). */
function largestChange(given: string, runDir: string, prefix = ''): number {
  const checkpoint = JSON.stringify(path.join(runDir, 'checkpoint.pt'));
  return Number(
    runRepoPython(PYTHON, [
      'import torch',
      `raw = torch.load(${JSON.stringify(given)})`,
      'given = raw.get("state_dict", raw)',
      `given = {k[len(${JSON.stringify(prefix)}):]: v for k, v in given.items()}`,
      `saved = torch.load(${checkpoint})["model"]`,
      'stats = ("running_mean", "running_var", "num_batches_tracked")',
      'keys = [k for k in saved if not k.endswith(stats) and k not in ("mean", "std")]',
      'assert keys and all(k in given for k in keys), (keys, list(given))',
      'print(max(float((saved[k].float() - given[k].float()).abs().max()) for k in keys))',
    ]).trim(),
  );
}

describe('train --backend torch --init-weights', { skip: missing }, () => {
  it('starts a model file the engine reads from a PyTorch file, and records it', async (t) => {
    const workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'rl-torch-init-'));
    t.after(() => fs.rmSync(workspace, { recursive: true, force: true }));
    const model = path.join(ROOT, 'examples', 'mnist-small.arch.yaml');
    const network = readModelFile(model, fs.readFileSync(model, 'utf8')).network;
    assert.ok(network);
    // Weights from another seed than the run's, in the IR model's names (as our export writes them).
    const shape = { height: 28, width: 28, channels: 1 };
    const given = path.join(workspace, 'given.pt');
    fs.writeFileSync(
      given,
      torchStateDictFile(torchStateDict(network, shape, initialState(network, shape, 99), undefined)),
    );
    const run = await trainFrom(model, given, workspace);
    assert.equal(run.code, 0, run.err + run.out);
    const runDir = runFolderOf(run.out);
    assert.equal(largestChange(given, runDir), 0);
    assert.equal(recordedInitWeights(runDir), given);
    // Without --init-weights the same seed starts elsewhere: the run above really used the file.
    const fresh = await cli(['train', model, '--backend', 'torch', '--workspace', workspace, ...FROZEN]);
    assert.equal(fresh.code, 0, fresh.err + fresh.out);
    assert.ok(largestChange(given, runFolderOf(fresh.out)) > 0.01);
  });

  it("starts an entry's model from a DataParallel checkpoint: its clean accuracy at once", async (t) => {
    const workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'rl-torch-init-entry-'));
    t.after(() => fs.rmSync(workspace, { recursive: true, force: true }));
    const file = path.join(workspace, 'net.py');
    fs.writeFileSync(
      file,
      'import torch.nn as nn\n\ndef tiny(width=16, classes=10):\n    return ' +
        'nn.Sequential(nn.Flatten(), nn.Linear(784, width), nn.ReLU(), nn.Linear(width, classes))\n',
    );
    const given = path.join(workspace, 'tuned.pt');
    runRepoPython(PYTHON, [
      'import sys, torch',
      `sys.path.insert(0, ${JSON.stringify(workspace)})`,
      'from net import tiny',
      'torch.manual_seed(5)',
      'm = tiny()',
      'wrapped = {"module." + k: v for k, v in m.state_dict().items()}',
      `torch.save({"epoch": 3, "state_dict": wrapped}, ${JSON.stringify(given)})`,
    ]);
    const run = await trainFrom(`${file}:tiny(width=16)`, given, workspace, true);
    assert.equal(run.code, 0, run.err + run.out);
    const runDir = runFolderOf(run.out);
    assert.equal(largestChange(given, runDir, 'module.'), 0);
    // No BatchNorm and a learning rate of 0: the first epoch's clean accuracy is the checkpoint's own.
    const accuracy = Number(
      runRepoPython(PYTHON, [
        'import sys, torch',
        'from robustness_lens_trainer.data import read_data_file',
        `sys.path.insert(0, ${JSON.stringify(workspace)})`,
        'from net import tiny',
        'm = tiny()',
        `raw = torch.load(${JSON.stringify(given)})["state_dict"]`,
        'm.load_state_dict({k[len("module."):]: v for k, v in raw.items()})',
        `_, splits = read_data_file(${JSON.stringify(path.join(runDir, 'data.rlds'))})`,
        'x, y = splits["eval"]',
        'with torch.no_grad():',
        '    out = m(torch.from_numpy(x).permute(0, 3, 1, 2))',
        'print(float((out.argmax(1) == torch.from_numpy(y)).float().mean()))',
      ]).trim(),
    );
    const history = readResult(runDir).history;
    assert.equal(history[0]?.cleanAccuracy, accuracy);
    assert.equal(recordedInitWeights(runDir), given);
  });

  it('refuses weights that do not fit, in one message naming the keys', async (t) => {
    const workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'rl-torch-init-misfit-'));
    t.after(() => fs.rmSync(workspace, { recursive: true, force: true }));
    const wrong = path.join(workspace, 'wrong.pt');
    runRepoPython(PYTHON, [
      'import torch',
      `torch.save({"model": {"0.weight": torch.zeros(3, 3), "extra": torch.zeros(1)}}, ${JSON.stringify(wrong)})`,
    ]);
    // A model file: matched by the engine before any run folder exists.
    const model = path.join(ROOT, 'examples', 'mnist-small.arch.yaml');
    const ir = await trainFrom(model, wrong, workspace);
    assert.notEqual(ir.code, 0);
    assert.match(ir.err, /wrong\.pt does not fit MNIST-small: \d+ missing: .*; 2 unexpected: 0\.weight, extra/);
    assert.equal(fs.existsSync(path.join(workspace, '.robustness-lens', 'runs')), false, 'no run folder');
    // An entry: PyTorch's loader, in the trainer.
    const file = path.join(workspace, 'net.py');
    fs.writeFileSync(
      file,
      'import torch.nn as nn\n\ndef tiny():\n    return nn.Sequential(nn.Flatten(), nn.Linear(784, 10))\n',
    );
    const entry = await trainFrom(`${file}:tiny()`, wrong, workspace, true);
    assert.notEqual(entry.code, 0);
    assert.match(
      entry.err,
      /wrong\.pt does not fit the model \(missing: 1\.weight, 1\.bias; unexpected: 0\.weight, extra\)/,
    );
    assert.doesNotMatch(entry.err, /Traceback/);
  });
});
