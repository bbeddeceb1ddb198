import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { LOCK_FILE, lockRun, RunLockedError } from '../../src/engine/run/run-lock';
import { RunDirectory, runsRoot } from '../../src/engine/run/run-store';
import { cliAsync } from '../helpers/cli';
import { repoPath } from '../helpers/paths';

const MODEL = repoPath('examples', 'mnist-small.arch.yaml');
const DATA = repoPath('test', 'fixtures', 'data', 'mnist-idx');

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rl-lock-'));
const children: ChildProcess[] = [];
after(() => {
  for (const child of children) child.kill('SIGKILL');
  fs.rmSync(dir, { recursive: true, force: true });
});

function folder(name: string): string {
  const d = path.join(dir, name);
  fs.mkdirSync(d, { recursive: true });
  return d;
}

/** A process that runs until the test ends. */
function liveProcess(): number {
  const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 120000)'], { stdio: 'ignore' });
  children.push(child);
  assert.ok(child.pid);
  return child.pid;
}

/** The id of a process that has exited. */
function deadPid(): number {
  const done = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(done.stdout);
}

function writeLock(d: string, pid: number, host = os.hostname()): void {
  fs.writeFileSync(path.join(d, LOCK_FILE), JSON.stringify({ pid, host, startedAt: '2026-01-01T00:00:00.000Z' }));
}

describe("a run folder's lock", () => {
  it('is held by one taker at a time, and released', () => {
    const d = folder('twice');
    const lock = lockRun(d);
    const inUse = (e: unknown): boolean =>
      e instanceof RunLockedError && e.message.includes(`run is in use by pid ${process.pid}`);
    assert.throws(() => lockRun(d), inUse);
    lock.release();
    assert.equal(fs.existsSync(path.join(d, LOCK_FILE)), false);
    lockRun(d).release();
  });

  it("refuses a live process's lock with its pid, through the CLI too, and takes over once it is gone", async () => {
    const d = folder('live');
    const pid = liveProcess();
    writeLock(d, pid);
    assert.throws(() => lockRun(d), new RegExp(`run is in use by pid ${pid} since`));
    const resumed = await cliAsync('train', '--resume', d);
    assert.equal(resumed.code, 1);
    assert.match(resumed.stderr, new RegExp(`robustness-lens train: run is in use by pid ${pid}`));
    assert.ok(fs.existsSync(path.join(d, LOCK_FILE)), "the refused resume left the owner's lock alone");

    const stale = folder('stale');
    writeLock(stale, deadPid());
    const lock = lockRun(stale);
    const owner = JSON.parse(fs.readFileSync(path.join(stale, LOCK_FILE), 'utf8')) as { pid: number };
    assert.equal(owner.pid, process.pid);
    lock.release();
    // Unreadable (a hand edit): taken over too, a process of another machine is not.
    fs.writeFileSync(path.join(stale, LOCK_FILE), '');
    lockRun(stale).release();
    writeLock(stale, pid, 'another-host');
    assert.throws(() => lockRun(stale), /in use by pid \d+ on another-host/);
  });

  it("removes staging files of dead writers when taken, and keeps a live one's", () => {
    const d = folder('temporaries');
    const dead = deadPid();
    const live = liveProcess();
    const names = [`checkpoint.rlck.${dead}.1.tmp`, `config.json.${dead}.2.tmp`, `checkpoint.rlck.${live}.3.tmp`];
    names.push('notes.tmp');
    for (const n of names) fs.writeFileSync(path.join(d, n), 'partial');
    const lock = new RunDirectory(d, 'temporaries').lock();
    lock.release();
    assert.deepEqual(fs.readdirSync(d).sort(), [`checkpoint.rlck.${live}.3.tmp`, 'notes.tmp'].sort());
  });

  it("a new run folder appears whole: a dead run's staging folder is removed, the new one holds its files", () => {
    const workspace = folder('publish');
    const staging = path.join(runsRoot(workspace), `.20260101-000000-train-abcdef.${deadPid()}.partial`);
    fs.mkdirSync(staging, { recursive: true });
    fs.writeFileSync(path.join(staging, 'config.json.1.2.tmp'), '{"kind":');
    const run = RunDirectory.publish(workspace, 'train', { 'config.json': { kind: 'train' }, 'environment.json': {} });
    assert.deepEqual(fs.readdirSync(runsRoot(workspace)), [run.id]);
    assert.deepEqual(fs.readdirSync(run.dir).sort(), ['config.json', 'environment.json']);
  });

  it('two resumes of one run at once: one runs, the other is refused and changes nothing', async () => {
    const workspace = folder('concurrent');
    const tiny = ['--data', DATA, '--method', 'standard', '--eval-samples', '10', '--batch-size', '10'];
    tiny.push('--epochs', '1');
    const trained = await cliAsync('train', MODEL, ...tiny, '--backend', 'wasm', '--workspace', workspace);
    assert.equal(trained.code, 0, trained.stderr);
    const run = path.join(runsRoot(workspace), fs.readdirSync(runsRoot(workspace))[0] ?? '');
    const before = fs.readFileSync(path.join(run, 'checkpoint.rlck'));
    const [first, second] = await Promise.all([cliAsync('train', '--resume', run), cliAsync('train', '--resume', run)]);
    assert.equal(first.code, 0, first.stderr);
    assert.equal(second.code, 1);
    assert.match(second.stderr, /run is in use by pid \d+/);
    assert.deepEqual(fs.readFileSync(path.join(run, 'checkpoint.rlck')), before);
    assert.equal(fs.existsSync(path.join(run, LOCK_FILE)), false, 'the lock is released when the run ends');
  });

  it('resume explains a folder that is not a run', async () => {
    const notRun = folder('not-a-run');
    const resumed = await cliAsync('train', '--resume', notRun);
    assert.equal(resumed.code, 1);
    assert.match(resumed.stderr, /cannot resume .*config\.json is missing or damaged/);
    const missing = await cliAsync('train', '--resume', path.join(dir, 'nowhere'));
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /cannot resume .*not a run folder/);
  });
});
