import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { runEval } from '../../../src/cli/commands/eval';
import type { RunSummary } from '../../../src/engine/run/run-messages';
import { onnxRuntimeProblem } from '../../../src/engine/onnx/load-onnxruntime';

const ROOT = path.resolve(__dirname, '../../../..');

/** `robustness-lens eval --json` in this process; its JSON summary. */
async function evaluate(backend: string, workspace: string): Promise<RunSummary> {
  let out = '';
  const io = {
    out: (text: string) => {
      out += `${text}\n`;
    },
    err: () => undefined,
  };
  const code = await runEval(
    [
      path.join(ROOT, 'examples/tfjs/mnist-small/model.json'),
      '--backend',
      backend,
      '--attacks',
      'fgsm,pgd',
      '--pgd-steps',
      '10',
      '--eps',
      '0.1',
      '--n',
      '100',
      '--batch-size',
      '50',
      // The bundled digits, from beside the test bundles (where the build packs them).
      '--data',
      path.join(ROOT, 'dist-test', 'data', 'mnist-bundled'),
      '--workspace',
      workspace,
      '--json',
    ],
    io,
    () => false,
  );
  assert.equal(code, 0);
  return JSON.parse(out) as RunSummary;
}

describe('robustness-lens eval of a TF.js model.json', { skip: onnxRuntimeProblem() ?? false }, () => {
  const workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'rl-keras-eval-'));
  after(() => fs.rmSync(workspace, { recursive: true, force: true }));

  it(
    'gives the same clean accuracy and PGD robust accuracy (within 0.5pp) on onnxruntime as ' + 'on tfjs wasm',
    async (t) => {
      const onnxRun = await evaluate('onnxruntime', workspace);
      const tfjsRun = await evaluate('wasm', workspace);
      const onnx = onnxRun.evaluation;
      const tfjs = tfjsRun.evaluation;
      assert.ok(onnx && tfjs);
      // Each run's own folder: two runs in one second have names that sort by their random suffix.
      const backendOf = (dir: string): string =>
        (JSON.parse(fs.readFileSync(path.join(dir, 'environment.json'), 'utf8')) as { backend: string }).backend;
      assert.deepEqual([backendOf(onnxRun.runDir), backendOf(tfjsRun.runDir)], ['onnxruntime', 'wasm']);
      // ONNX Runtime reads the weights without tfjs (weights/model-json-weights.ts) and counts the same parameters.
      const paramsOf = (dir: string): number =>
        (JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8')) as { model: { params: number } }).model
          .params;
      assert.equal(paramsOf(onnxRun.runDir), paramsOf(tfjsRun.runDir));
      assert.ok(paramsOf(onnxRun.runDir) > 1000);
      const attacks = onnx.attacks.map((a, i) => `${a.name} ${a.robustAccuracy} / ${tfjs.attacks[i]?.robustAccuracy}`);
      t.diagnostic(`clean ${onnx.cleanAccuracy} / ${tfjs.cleanAccuracy}; ${attacks.join('; ')}`);
      assert.equal(onnx.samples, 100);
      assert.equal(onnx.cleanAccuracy, tfjs.cleanAccuracy);
      assert.deepEqual(onnx.perSample.clean, tfjs.perSample.clean);
      assert.ok(onnx.cleanAccuracy > 0.9, `clean accuracy ${onnx.cleanAccuracy}: the example model is trained`);
      for (const [i, a] of onnx.attacks.entries()) {
        const other = tfjs.attacks[i];
        assert.ok(
          other && Math.abs(a.robustAccuracy - other.robustAccuracy) <= 0.005 + 1e-9,
          `${a.name}: ${a.robustAccuracy} on onnxruntime, ${other?.robustAccuracy} on wasm`,
        );
      }
    },
  );
});
