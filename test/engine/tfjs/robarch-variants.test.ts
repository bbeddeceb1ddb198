import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import { readModelFile, valueOf } from '../../../src/core';
import { UnsupportedModelError } from '../../../src/engine/tfjs/build-forward';
import { selectTfjsBackend } from '../../../src/engine/tfjs/select-backend';
import { TfjsClassifier } from '../../../src/engine/tfjs/tfjs-classifier';

const ROOT = path.resolve(__dirname, '../../../..');
const DIR = path.join(ROOT, 'test', 'fixtures', 'robarch-hydra', 'variants');
/** Parameter totals of RobArch's own ConfigurableModel under PyTorch (scripts/torch-reference). */
const TORCH = JSON.parse(fs.readFileSync(path.join(DIR, 'torch-counts.json'), 'utf8')) as Record<
  string,
  { total: number } | string
>;

// Every op of the design space, forward and gradient, on each back end that runs here.
for (const backend of ['wasm', 'cpu'] as const)
  describe(`tfjs models of the RobArch design space on ${backend}`, () => {
    before(async () => {
      await selectTfjsBackend(backend);
    });

    for (const file of fs
      .readdirSync(DIR)
      .filter((f) => f.endsWith('.yaml'))
      .sort()) {
      const reference = TORCH[file];
      if (typeof reference !== 'object') continue;
      it(`${file}: PyTorch's parameter count, and a forward and input gradient`, async () => {
        const full = path.join(DIR, file);
        const text = fs.readFileSync(full, 'utf8');
        // torch-counts hold the classes the config states, else ImageNet's 1000; build for 10 where it leaves the
        // choice open.
        const asCounted = readModelFile(full, text).network;
        const network = readModelFile(full, text, { numClasses: 10 }).network;
        assert.ok(network && asCounted);
        const classes = valueOf(network.head.numClasses) ?? 10;
        const countedClasses = valueOf(asCounted.head.numClasses) ?? 1000;
        const dense = network.stages.some((s) => (valueOf(s.facts.denseRatio) ?? 0) > 0);
        // 64 pixels leave the last stage 2x2, so instance norm still has statistics to take.
        const shape = { height: 64, width: 64, channels: network.inputChannels };
        if (dense) {
          assert.throws(
            () => new TfjsClassifier(network, { inputShape: shape, numClasses: classes, seed: 0 }),
            UnsupportedModelError,
          );
          return;
        }
        const model = new TfjsClassifier(network, { inputShape: shape, numClasses: classes, seed: 0 });
        try {
          const fc = network.head.layers.find((l) => l.kind === 'linear');
          const features = fc?.kind === 'linear' ? valueOf(fc.inFeatures) : undefined;
          assert.ok(features !== undefined);
          assert.equal(model.paramCount(), reference.total - (countedClasses - classes) * (features + 1));
          const x = Float32Array.from({ length: 2 * 64 * 64 * shape.channels }, (_, i) => (i % 17) / 17);
          const g = await model.inputGradient(x, 2, {
            kind: 'ce',
            labels: Int32Array.from([1 % classes, 2 % classes]),
          });
          assert.ok(
            g.grad.some((v) => v !== 0) && g.grad.every(Number.isFinite),
            'the input gradient is zero or not finite',
          );
        } finally {
          model.dispose();
        }
      });
    }
  });
