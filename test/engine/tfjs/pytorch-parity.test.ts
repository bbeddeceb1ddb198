import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import { readModelFile } from '../../../src/core';
import { networkJson } from '../../../src/engine/pytorch/network-json';
import { KNOWN_NORMALIZATIONS } from '../../../src/engine/tfjs/normalize-input';
import { selectTfjsBackend } from '../../../src/engine/tfjs/select-backend';
import { TfjsClassifier } from '../../../src/engine/tfjs/tfjs-classifier';
import { Random } from '../../../src/engine/util/random';

const ROOT = path.resolve(__dirname, '../../../..');
const PYTHON = fs.existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
const HAS_TORCH = spawnSync(PYTHON, ['-c', 'import torch, numpy'], { encoding: 'utf8' }).status === 0;
const VARIANTS = path.join(ROOT, 'test', 'fixtures', 'robarch-hydra', 'variants');
/** Designs that exercise every layer kind the builder knows. */
const FILES = [
  path.join(ROOT, 'examples', 'cifar-small.arch.yaml'),
  ...[
    'se-prelu',
    'kernel5-dilation2',
    'psilu-pssilu',
    'layer-norm',
    'instance-norm',
    'pre-activation-mixed',
    'patchify-stem',
    'inverted-bottleneck',
    'gelu-prelu',
    'silu-hardswish',
    'stem-downsample-8',
  ].map((n) => path.join(VARIANTS, `${n}.yaml`)),
];

describe(
  'tfjs models compute what PyTorch computes',
  { skip: HAS_TORCH ? false : `no torch for ${PYTHON} (apt-get install python3-torch)` },
  () => {
    before(async () => {
      await selectTfjsBackend('wasm');
    });

    it('gives the logits of the same architecture with the same weights in PyTorch (eval mode)', async () => {
      const manifest: unknown[] = [];
      const chunks: Float32Array[] = [];
      let offset = 0;
      const push = (data: Float32Array): number => {
        chunks.push(data);
        offset += data.length;
        return offset - data.length;
      };
      const expected: Float32Array[] = [];
      const random = new Random(3);
      for (const file of FILES) {
        const network = readModelFile(file, fs.readFileSync(file, 'utf8'), { numClasses: 10 }).network;
        assert.ok(network, file);
        const channels = network.inputChannels;
        const normalization = channels === 3 ? KNOWN_NORMALIZATIONS.cifar10 : undefined;
        const model = new TfjsClassifier(network, {
          inputShape: { height: 64, width: 64, channels },
          numClasses: 10,
          seed: 5,
          ...(normalization ? { normalization } : {}),
        });
        try {
          // Perturb every weight and give BatchNorm non-trivial statistics, so nothing hides behind an identity.
          const state = await model.getState();
          const tensors = new Map(
            [...state.tensors].map(([name, t]) => [
              name,
              {
                shape: t.shape,
                data: Float32Array.from(t.data, (v) =>
                  name.endsWith('running_var') ? 0.5 + random.next() : v + 0.05 * random.normal(),
                ),
              },
            ]),
          );
          await model.setState({ tensors });
          const x = Float32Array.from({ length: 2 * 64 * 64 * channels }, () => random.next());
          expected.push(await model.logits(x, 2));
          manifest.push({
            network: networkJson(network),
            ...(normalization ? { mean: normalization.mean, std: normalization.std } : {}),
            tensors: [...tensors.values()].map((t) => [t.shape, push(t.data)]),
            input: [2, 64, 64, channels, push(x)],
          });
        } finally {
          model.dispose();
        }
      }
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rl-parity-'));
      try {
        const all = new Float32Array(offset);
        let at = 0;
        for (const c of chunks) {
          all.set(c, at);
          at += c.length;
        }
        fs.writeFileSync(path.join(dir, 'data.bin'), new Uint8Array(all.buffer));
        fs.writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify(manifest));
        const out = spawnSync(
          PYTHON,
          [path.join(ROOT, 'python', 'ir_forward.py'), path.join(dir, 'manifest.json'), path.join(dir, 'data.bin')],
          { encoding: 'utf8', timeout: 120_000 },
        );
        assert.equal(out.status, 0, out.stderr);
        const torchLogits = JSON.parse(out.stdout) as number[][][];
        FILES.forEach((file, m) => {
          const ours = expected[m] ?? new Float32Array(0);
          const theirs = (torchLogits[m] ?? []).flat();
          assert.equal(theirs.length, ours.length);
          const scale = Math.max(1, ...theirs.map(Math.abs));
          const worst = Math.max(...theirs.map((v, i) => Math.abs(v - (ours[i] ?? 0))));
          assert.ok(worst <= 1e-4 * scale, `${path.basename(file)}: logits differ by ${worst} (scale ${scale})`);
        });
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  },
);
