import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import { readModelFile } from '../../../src/core';
import { LayersClassifier } from '../../../src/engine/tfjs/layers-classifier';
import { selectTfjsBackend } from '../../../src/engine/tfjs/select-backend';
import { cliAsync } from '../../helpers/cli';
import { Random } from '../../../src/engine/util/random';

const ROOT = path.resolve(__dirname, '../../../..');
const MODEL = path.join(ROOT, 'examples', 'tfjs', 'resnet-cifar', 'model.json');

describe('TF.js model.json loaded directly', () => {
  before(async () => {
    await selectTfjsBackend('wasm');
  });

  it(
    'has the trainable parameters the counter reports and input gradients that agree with ' + 'finite differences',
    async () => {
      const model = await LayersClassifier.load(MODEL);
      try {
        const read = readModelFile(MODEL, fs.readFileSync(MODEL, 'utf8'));
        const nonTrainable =
          read.network?.stem.layers
            .concat(
              read.network.stages.flatMap((s) => s.blocks.flatMap((b) => [...b.layers, ...b.shortcut, ...b.after])),
              read.network.head.layers,
            )
            .reduce((sum, l) => sum + (l.nonTrainable ?? 0), 0) ?? 0;
        assert.equal(nonTrainable, 3_648);
        assert.equal(model.paramCount(), 222_122);
        assert.deepEqual(model.inputShape, { height: 32, width: 32, channels: 3 });
        const random = new Random(2);
        const x = Float32Array.from({ length: 2 * 32 * 32 * 3 }, () => random.next());
        const labels = Int32Array.from([3, 7]);
        const g = await model.inputGradient(x, 2, { kind: 'ce', labels });
        const norm2 = g.grad.reduce((s, v) => s + v * v, 0);
        const h = 1e-2 / Math.sqrt(norm2);
        const at = async (sign: number): Promise<number> =>
          (
            await model.inputGradient(
              Float32Array.from(x, (v, j) => v + sign * h * (g.grad[j] ?? 0)),
              2,
              { kind: 'ce', labels },
            )
          ).loss.reduce((s, v) => s + v, 0);
        const numeric = ((await at(1)) - (await at(-1))) / (2 * h);
        assert.ok(Math.abs(numeric - norm2) <= 0.05 * norm2, `numeric ${numeric}, analytic ${norm2}`);
      } finally {
        model.dispose();
      }
    },
  );

  it('is evaluated and trained from the CLI like any model file', async (t) => {
    const workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'rl-layers-'));
    t.after(() => fs.rmSync(workspace, { recursive: true, force: true }));
    const data = path.join(ROOT, 'test', 'fixtures', 'data', 'cifar-10');
    const evaluated = await cliAsync(
      'eval',
      MODEL,
      '--data',
      data,
      '--attacks',
      'fgsm,pgd',
      '--n',
      '5',
      '--pgd-steps',
      '2',
      '--backend',
      'wasm',
      '--workspace',
      workspace,
    );
    assert.equal(evaluated.code, 0, evaluated.stderr);
    assert.match(evaluated.stdout, /5 images, Linf eps 0\.0314/);
    assert.match(evaluated.stdout, /after pgd\s+\d+\.\d+%/);
    const trained = await cliAsync(
      'train',
      MODEL,
      '--data',
      data,
      '--method',
      'fast',
      '--epochs',
      '1',
      '--batch-size',
      '10',
      '--eval-samples',
      '10',
      '--backend',
      'wasm',
      '--workspace',
      workspace,
    );
    assert.equal(trained.code, 0, trained.stderr);
    assert.match(trained.stdout, /^completed/m);
    const wrong = await cliAsync(
      'eval',
      MODEL,
      '--data',
      path.join(ROOT, 'test', 'fixtures', 'data', 'mnist-idx'),
      '--n',
      '5',
      '--backend',
      'wasm',
      '--workspace',
      workspace,
    );
    assert.equal(wrong.code, 1);
    assert.match(wrong.stderr, /takes 32x32x3 images but \S+ has 28x28x1/);
  });
});
