import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import { readModelFile, valueOf } from '../../../src/core';
import { onnxRuntimeProblem } from '../../../src/engine/onnx/load-onnxruntime';
import { OnnxClassifier } from '../../../src/engine/onnx/onnx-classifier';
import { selectTfjsBackend } from '../../../src/engine/tfjs/select-backend';
import { perturbedTfjsModel, randomValues, relativeError } from './parity-support';

const ROOT = path.resolve(__dirname, '../../../..');
const DIR = path.join(ROOT, 'test', 'fixtures', 'robarch-hydra', 'variants');
/** The full RobArch-S: 15 s on the tfjs cpu back end, and its PSiLU is covered by psilu-pssilu.yaml. */
const TOO_SLOW = new Set(['robarch-s-psilu.yaml']);
/**
 * Instance norm over the last stage's 2x2 maps divides by statistics of four values, which
 * amplifies float32 rounding in the gradient (5e-5 here at 64 pixels, under 2e-5 at 96).
 */
const TOLERANCE = 1e-4;

// Every RobArch design-space variant the tfjs back end builds (the same set its own test covers),
// run by ONNX Runtime on the same weights: logits, and the CE loss and input gradient.
describe(
  'RobArch design-space variants on onnxruntime against tfjs cpu',
  { skip: onnxRuntimeProblem() ?? false },
  () => {
    before(async () => {
      await selectTfjsBackend('cpu');
    });

    for (const file of fs
      .readdirSync(DIR)
      .filter((f) => f.endsWith('.yaml'))
      .sort()) {
      it(file, { skip: TOO_SLOW.has(file) ? 'slow on the tfjs cpu back end' : false }, async (t) => {
        const full = path.join(DIR, file);
        const network = readModelFile(full, fs.readFileSync(full, 'utf8'), { numClasses: 10 }).network;
        assert.ok(network);
        if (network.stages.some((s) => (valueOf(s.facts.denseRatio) ?? 0) > 0)) {
          t.skip('dense connections: neither back end builds them');
          return;
        }
        const classes = valueOf(network.head.numClasses) ?? 10;
        // 64 pixels leave the last stage 2x2, so instance norm still has statistics to take.
        const { model, state } = await perturbedTfjsModel(network, 64, classes, undefined, 1);
        const onnx = OnnxClassifier.create(network, state, { inputShape: model.inputShape, numClasses: classes });
        try {
          const x = Float32Array.from(randomValues(2 * 64 * 64 * network.inputChannels, 9), (v) => 0.5 + 0.5 * v);
          const objective = { kind: 'ce' as const, labels: Int32Array.of(1 % classes, 2 % classes) };
          const expected = await model.inputGradient(x, 2, objective);
          const actual = await onnx.inputGradient(x, 2, objective);
          for (const part of ['loss', 'grad', 'logits'] as const) {
            const error = relativeError(actual[part], expected[part]);
            assert.ok(error < TOLERANCE, `${part} off by ${error}`);
          }
        } finally {
          model.dispose();
          await onnx.dispose();
        }
      });
    }
  },
);
