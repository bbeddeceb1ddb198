import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Classifier } from '../../src/engine/model/classifier';
import { CHECKPOINT_FILE } from '../../src/engine/run/execute-train';
import { checkFiniteLogits, NonFiniteModelError } from '../../src/engine/run/non-finite';
import { CheckpointError, readCheckpoint, writeCheckpoint } from '../../src/engine/train/checkpoint';
import { readTrainingCheckpoint } from '../../src/engine/train/training-checkpoint';
import { cliAsync } from '../helpers/cli';
import { repoPath } from '../helpers/paths';

const MODEL = repoPath('examples', 'mnist-small.arch.yaml');
const DATA = repoPath('test', 'fixtures', 'data', 'mnist-idx');
const TINY = ['--method', 'standard', '--eval-samples', '10', '--batch-size', '10', '--backend', 'wasm'];
const TRAIN = ['--data', DATA, ...TINY];
const EVAL = ['--data', DATA, '--attacks', 'fgsm', '--n', '5', '--backend', 'wasm'];

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rl-corrupt-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

function sampleState(): Map<string, { shape: number[]; data: Float32Array }> {
  return new Map([
    ['conv.weight', { shape: [4, 3, 3, 3], data: Float32Array.from({ length: 108 }, (_, i) => Math.sin(i)) }],
    ['conv.bias', { shape: [4], data: Float32Array.from([0.5, -1, 2, 0]) }],
  ]);
}

/** A checkpoint as the first version wrote it: no digest after the data. */
type Entry = { name: string; shape: number[]; offset: number; length: number };

function versionOneFile(file: string, tensors: Entry[], values: Float32Array): void {
  const header = Buffer.from(JSON.stringify({ version: 1, meta: { epochsDone: 1 }, tensors }), 'utf8');
  const head = Buffer.alloc(8);
  head.write('RLCK', 0, 'ascii');
  head.writeUInt32LE(header.length, 4);
  fs.writeFileSync(file, Buffer.concat([head, header, Buffer.from(values.buffer)]));
}

function trainingMeta(epochsDone: number, epochs: number, historyEpochs: number[]): unknown {
  const history = historyEpochs.map((epoch) => ({ epoch, trainLoss: 1 }));
  return { kind: 'robustness-lens-training', epochsDone, history, config: { epochs } };
}

describe('checkpoint files', () => {
  it('refuses every flipped bit, wherever it falls (header, data or digest)', () => {
    const file = path.join(dir, 'flip.rlck');
    writeCheckpoint(file, { tensors: sampleState() }, { epochsDone: 1 });
    const good = fs.readFileSync(file);
    let dataFlips = 0;
    for (let at = 0; at < good.length; at += 3) {
      const bad = Buffer.from(good);
      bad[at] = (bad[at] as number) ^ (1 << (at % 8));
      fs.writeFileSync(file, bad);
      const where = `a flipped bit at byte ${at} of ${good.length}`;
      assert.throws(
        () => readCheckpoint(file),
        (e: unknown) => e instanceof CheckpointError,
        where,
      );
      const headerEnd = 8 + good.readUInt32LE(4);
      if (at >= headerEnd) {
        dataFlips++;
        assert.throws(() => readCheckpoint(file), /SHA-256 checksum does not match/);
      }
    }
    assert.ok(dataFlips > 100);
  });

  it('refuses a file cut short or with bytes after its end', () => {
    const file = path.join(dir, 'length.rlck');
    writeCheckpoint(file, { tensors: sampleState() }, {});
    const good = fs.readFileSync(file);
    fs.writeFileSync(file, good.subarray(0, good.length - 1));
    assert.throws(() => readCheckpoint(file), /truncated/);
    fs.writeFileSync(file, Buffer.concat([good, Buffer.from([0])]));
    assert.throws(() => readCheckpoint(file), /1 bytes past its end/);
  });

  it('still loads a version 1 checkpoint (written before the digest), and checks its header', () => {
    const file = path.join(dir, 'v1.rlck');
    versionOneFile(file, [{ name: 'w', shape: [2, 2], offset: 0, length: 4 }], Float32Array.from([1, 2, 3, 4]));
    assert.deepEqual(Array.from(readCheckpoint(file).state.tensors.get('w')?.data ?? []), [1, 2, 3, 4]);
    versionOneFile(file, [{ name: 'w', shape: [2, 3], offset: 0, length: 4 }], Float32Array.from([1, 2, 3, 4]));
    assert.throws(() => readCheckpoint(file), /tensor w has shape \[2, 3\] but 4 values/);
    versionOneFile(file, [{ name: 'w', shape: [2], offset: -2, length: 2 }], Float32Array.from([1, 2]));
    assert.throws(() => readCheckpoint(file), /bad offset/);
  });

  it('refuses a checkpoint from a newer version by its number', () => {
    const file = path.join(dir, 'v9.rlck');
    const header = Buffer.from(JSON.stringify({ version: 9, meta: {}, tensors: [] }));
    const head = Buffer.alloc(8);
    head.write('RLCK', 0, 'ascii');
    head.writeUInt32LE(header.length, 4);
    fs.writeFileSync(file, Buffer.concat([head, header]));
    assert.throws(() => readCheckpoint(file), /version 9 checkpoint; this Robustness Lens reads versions 1 and 2/);
  });

  it('refuses training metadata no run can have', () => {
    const file = path.join(dir, 'meta.rlck');
    const cases: [unknown, RegExp][] = [
      [trainingMeta(-4, 4, []), /-4 epochs finished, not a whole number from 0 to the run's 4/],
      [trainingMeta(5, 4, [1, 2, 3, 4, 5]), /5 epochs finished/],
      [trainingMeta(1.5, 4, [1]), /1\.5 epochs finished/],
      [trainingMeta(4, 4, [1, 2]), /4 epochs finished but 2 epoch records/],
      [trainingMeta(2, 4, [1, 1]), /epoch record 2 says epoch 1/],
      [trainingMeta(2, 6, [1, 2]), /written by a run of 6 epochs, the run folder's settings say 4/],
      [{ kind: 'something else' }, /is not a training checkpoint/],
    ];
    for (const [meta, message] of cases) {
      writeCheckpoint(file, { tensors: sampleState() }, meta);
      const refused = (e: unknown): boolean => e instanceof CheckpointError && message.test(e.message);
      assert.throws(() => readTrainingCheckpoint(file, 4), refused, JSON.stringify(meta));
    }
    writeCheckpoint(file, { tensors: sampleState() }, trainingMeta(2, 4, [1, 2]));
    assert.equal(readTrainingCheckpoint(file, 4).meta.epochsDone, 2);
  });

  it('refuses NaN or infinite logits instead of scoring them', async () => {
    // Ten logits per image; the 24th is image 2's (the batch starts at test image 100).
    const logits = (_x: Float32Array, n: number): Promise<Float32Array> =>
      Promise.resolve(Float32Array.from({ length: n * 10 }, (_, i) => (i === 23 ? Number.NaN : 0)));
    const model = { logits } as unknown as Classifier;
    await assert.rejects(
      checkFiniteLogits(model, new Float32Array(4), 4, 100, 'm.arch.yaml'),
      (e: unknown) => e instanceof NonFiniteModelError && /output for test image 102 is NaN/.test(e.message),
    );
  });
});

describe('damaged run folders through the CLI', () => {
  let run = '';
  let checkpoint = '';
  let good = Buffer.alloc(0);
  const workspace = path.join(dir, 'workspace');

  before(async () => {
    const done = await cliAsync('train', MODEL, ...TRAIN, '--epochs', '2', '--workspace', workspace);
    assert.equal(done.code, 0, done.stderr);
    const runs = path.join(workspace, '.robustness-lens', 'runs');
    run = path.join(runs, fs.readdirSync(runs)[0] ?? '');
    checkpoint = path.join(run, CHECKPOINT_FILE);
    good = fs.readFileSync(checkpoint);
  });

  it('resumes on the back end the run recorded, and says so', async () => {
    const config = JSON.parse(fs.readFileSync(path.join(run, 'config.json'), 'utf8')) as { backend: string };
    assert.equal(config.backend, 'wasm');
    const again = await cliAsync('train', '--resume', run, '--json');
    assert.equal(again.code, 0, again.stderr);
    type Environment = { backend: string; notes: string[] };
    const environment = JSON.parse(fs.readFileSync(path.join(run, 'environment.json'), 'utf8')) as Environment;
    assert.equal(environment.backend, 'wasm');
    assert.ok(environment.notes.includes("resumed on the run's own back end, wasm"), environment.notes.join('; '));
  });

  it('a flipped bit stops resume and eval with the checksum message, exit 1', async () => {
    const bad = Buffer.from(good);
    const at = bad.length - 100;
    bad[at] = (bad[at] as number) ^ 0x10;
    fs.writeFileSync(checkpoint, bad);
    try {
      const resumed = await cliAsync('train', '--resume', run);
      assert.equal(resumed.code, 1);
      assert.match(resumed.stderr, /checkpoint\.rlck is damaged: its SHA-256 checksum does not match/);
      const evaluated = await cliAsync('eval', '--weights', run, ...EVAL, '--workspace', workspace);
      assert.equal(evaluated.code, 1);
      assert.match(evaluated.stderr, /SHA-256 checksum does not match/);
    } finally {
      fs.writeFileSync(checkpoint, good);
    }
  });

  it('impossible metadata stops resume (no "epoch -4/4", no "completed" after 2 of 4)', async () => {
    const { state, meta } = readCheckpoint(checkpoint);
    const m = meta as { epochsDone: number; history: unknown[] };
    try {
      writeCheckpoint(checkpoint, state, { ...m, epochsDone: -4 });
      const negative = await cliAsync('train', '--resume', run);
      assert.equal(negative.code, 1);
      assert.match(negative.stderr, /inconsistent metadata: -4 epochs finished/);
      assert.doesNotMatch(negative.stderr, /epoch -/);
      writeCheckpoint(checkpoint, state, { ...m, epochsDone: 2, history: m.history.slice(0, 1) });
      const short = await cliAsync('train', '--resume', run);
      assert.equal(short.code, 1);
      assert.match(short.stderr, /2 epochs finished but 1 epoch records/);
    } finally {
      fs.writeFileSync(checkpoint, good);
    }
  });

  it('NaN weights stop eval and resume instead of reporting an accuracy', async () => {
    const { state, meta } = readCheckpoint(checkpoint);
    const [name, first] = [...state.tensors][0] ?? [];
    assert.ok(name && first);
    first.data[3] = Number.NaN;
    try {
      writeCheckpoint(checkpoint, state, meta);
      const evaluated = await cliAsync('eval', '--weights', run, ...EVAL, '--workspace', workspace);
      assert.equal(evaluated.code, 1);
      assert.ok(evaluated.stderr.includes(`a weight is not a number (${name}[3] = NaN)`), evaluated.stderr);
      assert.doesNotMatch(evaluated.stdout, /robust accuracy/);
      const resumed = await cliAsync('train', '--resume', run);
      assert.equal(resumed.code, 1);
      assert.match(resumed.stderr, /holds a weight that is not a number/);
    } finally {
      fs.writeFileSync(checkpoint, good);
    }
  });

  it('a data set with no test images is an error, not an accuracy', async () => {
    const empty = path.join(dir, 'no-test-images');
    fs.mkdirSync(empty);
    for (const name of ['train-images-idx3-ubyte', 'train-labels-idx1-ubyte']) {
      fs.copyFileSync(path.join(DATA, name), path.join(empty, name));
    }
    const header = (dims: number[]): Buffer => {
      const b = Buffer.alloc(4 + 4 * dims.length);
      b.writeUInt8(8, 2);
      b.writeUInt8(dims.length, 3);
      dims.forEach((d, i) => b.writeUInt32BE(d, 4 + 4 * i));
      return b;
    };
    fs.writeFileSync(path.join(empty, 't10k-images-idx3-ubyte'), header([0, 28, 28]));
    fs.writeFileSync(path.join(empty, 't10k-labels-idx1-ubyte'), header([0]));
    const evaluated = await cliAsync('eval', MODEL, ...EVAL, '--data', empty, '--workspace', workspace);
    assert.notEqual(evaluated.code, 0);
    assert.match(evaluated.stderr, /no test images|0 images|empty/);
    const trained = await cliAsync('train', MODEL, ...TINY, '--data', empty, '--epochs', '1', '--workspace', workspace);
    assert.notEqual(trained.code, 0);
    assert.match(trained.stderr, /no test images|0 images|empty/);
  });
});
