import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fsModule from 'node:fs';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it, mock } from 'node:test';
import { CHECKPOINT_FILE } from '../../src/engine/run/execute-train';
import { readTrainingCheckpoint } from '../../src/engine/train/training-checkpoint';
import { DiskFullError, writeFileAtomic } from '../../src/engine/util/atomic-write';
import { cliAsync } from '../helpers/cli';
import { repoPath } from '../helpers/paths';

const MODEL = repoPath('examples', 'mnist-small.arch.yaml');
// Tiny runs: what is tested is what happens at the writes, not what is learned.
const DATA = repoPath('test', 'fixtures', 'data', 'mnist-idx');
const TRAIN = [
  '--data',
  DATA,
  '--method',
  'standard',
  '--eval-samples',
  '10',
  '--batch-size',
  '10',
  '--backend',
  'wasm',
];

function runFolders(workspace: string): string[] {
  const root = path.join(workspace, '.robustness-lens', 'runs');
  return fs.existsSync(root) ? fs.readdirSync(root).map((n) => path.join(root, n)) : [];
}

function temporaries(dir: string): string[] {
  return fs
    .readdirSync(dir, { recursive: true })
    .map(String)
    .filter((n) => n.endsWith('.tmp'));
}

/** Bytes the file system holding `dir` still gives to writes. */
function freeBytes(dir: string): number {
  const s = fs.statfsSync(dir);
  return s.bavail * s.bsize;
}

/** Fills `dir`'s file system until `keep` bytes are left. */
function fillTo(dir: string, keep: number, name = 'filler'): string {
  const file = path.join(dir, name);
  const size = freeBytes(dir) - keep;
  assert.ok(size > 0, `${dir} has less than ${keep} bytes free`);
  fs.writeFileSync(file, Buffer.alloc(size));
  return file;
}

describe('the atomic writer under a fault-injecting file system', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rl-disk-shim-'));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('finishes a write that the system takes in short pieces', () => {
    const file = path.join(dir, 'pieces.bin');
    const real = fsModule.writeSync;
    const sevenAtATime = (fd: number, buffer: Uint8Array, offset: number, length: number): number =>
      real(fd, buffer, offset, Math.min(length, 7));
    const calls = mock.method(fsModule, 'writeSync', sevenAtATime);
    try {
      writeFileAtomic(file, Buffer.from('x'.repeat(100)));
    } finally {
      calls.mock.restore();
    }
    assert.equal(fs.readFileSync(file, 'utf8'), 'x'.repeat(100));
    assert.ok(calls.mock.callCount() >= 15, `written in pieces (${calls.mock.callCount()} calls)`);
  });

  for (const [how, fault] of [
    ['a short write and then ENOSPC', 'enospc'],
    ['a write that makes no progress', 'zero'],
    ['EDQUOT (quota exhausted)', 'edquot'],
  ] as const) {
    it(`keeps the old file and says "disk full" with the path on ${how}`, () => {
      const file = path.join(dir, `${fault}.json`);
      writeFileAtomic(file, 'the good old content');
      const real = fsModule.writeSync;
      let call = 0;
      type Write = (fd: number, buffer: Uint8Array, offset: number, length: number) => number;
      const shim = mock.method(fsModule, 'writeSync', ((fd, buffer, offset, length) => {
        call++;
        if (fault === 'zero') return 0;
        if (call === 1) return real(fd, buffer, offset, Math.min(length, 3));
        throw Object.assign(new Error(`${fault.toUpperCase()}: no space`), { code: fault.toUpperCase() });
      }) as Write);
      try {
        assert.throws(
          () => writeFileAtomic(file, 'a much longer new content that does not fit'),
          (e: unknown) => e instanceof DiskFullError && e.path === file && /^disk full: /.test(e.message),
        );
      } finally {
        shim.mock.restore();
      }
      assert.equal(fs.readFileSync(file, 'utf8'), 'the good old content');
      assert.deepEqual(temporaries(dir), [], 'no staging file is left');
    });
  }
});

/**
 * A full disk faked inside this process: writes to files whose name matches `target` fail with
 * ENOSPC from the `allowed + 1`-th such file on (after a few bytes, as a real full disk does).
 */
function fullDiskShim(target: RegExp, allowed: number): { restore(): void } {
  const real = { open: fsModule.openSync, write: fsModule.writeSync };
  const doomed = new Set<number>();
  const short = new Set<number>();
  let opened = 0;
  type Open = (file: fs.PathLike, flags: fs.OpenMode, mode?: fs.Mode | null) => number;
  type Write = (fd: number, buffer: Uint8Array, offset: number, length: number) => number;
  const open = mock.method(fsModule, 'openSync', ((file, flags, mode) => {
    const fd = real.open(file, flags, mode);
    if (target.test(String(file)) && ++opened > allowed) doomed.add(fd);
    return fd;
  }) as Open);
  const write = mock.method(fsModule, 'writeSync', ((fd, buffer, offset, length) => {
    if (!doomed.has(fd)) return real.write(fd, buffer, offset, length);
    // The first write to a doomed file gets its first 100 bytes down; every later one finds no room.
    if (!short.has(fd) && length > 100) {
      short.add(fd);
      return real.write(fd, buffer, offset, 100);
    }
    throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
  }) as Write);
  return {
    restore: () => {
      open.mock.restore();
      write.mock.restore();
    },
  };
}

describe('train and eval on a full disk faked by a fault-injecting fs (needs no root)', () => {
  const workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'rl-disk-fake-'));
  after(() => fs.rmSync(workspace, { recursive: true, force: true }));

  it('train says "disk full" at its second checkpoint, keeps the first, which resumes; eval likewise', async () => {
    const shim = fullDiskShim(/checkpoint\.rlck\.\d+\.\d+\.tmp$/, 1);
    let full;
    try {
      full = await cliAsync('train', MODEL, ...TRAIN, '--epochs', '2', '--workspace', workspace);
    } finally {
      shim.restore();
    }
    assert.equal(full.code, 1, full.stdout);
    assert.match(full.stderr, /disk full: .*checkpoint\.rlck/);
    const [run] = runFolders(workspace);
    assert.ok(run);
    assert.equal(readTrainingCheckpoint(path.join(run, CHECKPOINT_FILE), 2).meta.epochsDone, 1);
    assert.deepEqual(temporaries(run), []);
    const resumed = await cliAsync('train', '--resume', run);
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.match(resumed.stdout, /^completed/);

    const evalShim = fullDiskShim(/result\.json\.\d+\.\d+\.tmp$/, 0);
    let evaluated;
    try {
      const evalArgs = ['--data', DATA, '--attacks', 'fgsm', '--n', '10', '--backend', 'wasm'];
      evaluated = await cliAsync('eval', '--weights', run, ...evalArgs, '--workspace', workspace);
    } finally {
      evalShim.restore();
    }
    assert.equal(evaluated.code, 1, evaluated.stdout);
    assert.match(evaluated.stderr, /disk full: .*result\.json/);
    for (const r of runFolders(workspace)) assert.deepEqual(temporaries(r), []);
  });
});

/**
 * The real thing: a small tmpfs (mounting needs root, which CI and the dev container have).
 * Elsewhere the shim tests above cover the writer, and this suite says why it is skipped.
 */
describe('train and eval on a full disk (tmpfs)', () => {
  const mountPoint = fs.mkdtempSync(path.join(os.tmpdir(), 'rl-disk-full-'));
  let mounted = false;
  let why = '';
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', mountPoint], { stdio: 'pipe' });
    mounted = true;
  } catch (error) {
    why = `cannot mount a tmpfs here (${(error as Error).message.split('\n')[0]})`;
  }
  after(() => {
    // Unmounted even when a test failed; lazily if a handle is still open.
    if (mounted) {
      try {
        execFileSync('umount', [mountPoint], { stdio: 'pipe' });
      } catch {
        execFileSync('umount', ['-l', mountPoint], { stdio: 'pipe' });
      }
    }
    fs.rmSync(mountPoint, { recursive: true, force: true });
  });
  const skip = mounted ? false : why;
  let goodRun = '';
  let checkpointBytes = 0;

  before(async () => {
    if (!mounted) return;
    // A finished one-epoch run: its checkpoint's size sizes the disk for the next test, its weights are evaluated.
    const done = await cliAsync('train', MODEL, ...TRAIN, '--epochs', '1', '--workspace', mountPoint);
    assert.equal(done.code, 0, done.stderr);
    goodRun = runFolders(mountPoint)[0] ?? '';
    checkpointBytes = fs.statSync(path.join(goodRun, CHECKPOINT_FILE)).size;
  });

  it('train stops with "disk full" at a checkpoint, keeps the last good one, and it resumes', { skip }, async () => {
    const workspace = path.join(mountPoint, 'train');
    fs.mkdirSync(workspace);
    // Room for the settings files and one checkpoint, not for a second one beside it.
    const filler = fillTo(mountPoint, checkpointBytes + Math.floor(checkpointBytes / 2) + 48 * 1024);
    const full = await cliAsync('train', MODEL, ...TRAIN, '--epochs', '3', '--workspace', workspace);
    assert.equal(full.code, 1, full.stdout);
    assert.match(full.stderr, /disk full: .*checkpoint\.rlck/);
    assert.doesNotMatch(full.stderr + full.stdout, /internal error|completed/);
    const [run] = runFolders(workspace);
    assert.ok(run);
    const kept = readTrainingCheckpoint(path.join(run, CHECKPOINT_FILE), 3);
    assert.equal(kept.meta.epochsDone, 1, 'the checkpoint of epoch 1 is the one on disk');
    assert.deepEqual(temporaries(run), []);
    assert.equal(fs.existsSync(path.join(run, 'result.json')), false, 'no result claims the run finished');

    fs.rmSync(filler);
    const resumed = await cliAsync('train', '--resume', run, '--json');
    assert.equal(resumed.code, 0, resumed.stderr);
    const summary = JSON.parse(resumed.stdout) as { status: string; history: { epoch: number; trainLoss: number }[] };
    assert.equal(summary.status, 'completed');
    assert.deepEqual(
      summary.history.map((h) => h.epoch),
      [1, 2, 3],
    );
    const saved = kept.meta.history[0]?.trainLoss;
    assert.equal(summary.history[0]?.trainLoss, saved, 'epoch 1 is the one saved before the disk filled');
  });

  it('eval stops with "disk full" when its result does not fit, and leaves no cut result.json', { skip }, async () => {
    const workspace = path.join(mountPoint, 'eval');
    fs.mkdirSync(workspace);
    // Two pages: config.json and environment.json fit, result.json does not.
    const filler = fillTo(mountPoint, 2 * fs.statfsSync(mountPoint).bsize);
    try {
      const evalArgs = ['--data', DATA, '--attacks', 'fgsm', '--n', '10', '--backend', 'wasm'];
      const full = await cliAsync('eval', '--weights', goodRun, ...evalArgs, '--workspace', workspace);
      assert.equal(full.code, 1, full.stdout);
      assert.match(full.stderr, /disk full: .*result\.json/);
      for (const run of runFolders(workspace)) {
        assert.equal(fs.existsSync(path.join(run, 'result.json')), false);
        assert.deepEqual(temporaries(run), []);
      }
    } finally {
      fs.rmSync(filler);
    }
  });

  it('a new training run on a full disk says "disk full" and leaves no half run folder', { skip }, async () => {
    const workspace = path.join(mountPoint, 'none');
    fs.mkdirSync(workspace);
    const filler = fillTo(mountPoint, 0);
    try {
      const full = await cliAsync('train', MODEL, ...TRAIN, '--epochs', '1', '--workspace', workspace);
      assert.equal(full.code, 1, full.stdout);
      assert.match(full.stderr, /disk full: /);
      assert.deepEqual(runFolders(workspace), [], 'no run folder without its settings');
    } finally {
      fs.rmSync(filler);
    }
  });
});
