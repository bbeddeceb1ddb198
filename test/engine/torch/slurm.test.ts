import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it, type TestContext } from 'node:test';
import { jobState, readJob } from '../../../src/engine/torch/slurm';
import { cli, metrics, readResult, ROOT, runFolderOf, TINY, torchMissing } from './torch-support';

/**
 * A real single-node Slurm (Debian's slurm-wlm and munge), started by the test with a generated
 * slurm.conf: a job submitted with --slurm fills the run folder; scancel in the middle of a
 * training run, then --resume resubmitted, ends with the uninterrupted run's metrics.
 */
const SCRIPT = path.join(ROOT, 'scripts', 'test', 'local-slurm.sh');

function slurmMissing(): string | false {
  if (process.getuid?.() !== 0) return 'the local Slurm needs root (its daemons run as root here)';
  for (const tool of ['slurmctld', 'slurmd', 'munged', 'sbatch', 'squeue', 'scancel']) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0)
      return `no ${tool} (apt-get install -y slurm-wlm munge)`;
  }
  return false;
}

const skip = torchMissing() || slurmMissing();
const MODEL = path.join(ROOT, 'examples', 'mnist-small.arch.yaml');
const SETTINGS = [...TINY, '--epochs', '3', '--nproc-per-node', '2', '--device', 'cpu'];
const FINAL = /^(COMPLETED|FAILED|CANCELLED|TIMEOUT|NODE_FAIL|OUT_OF_MEMORY|BOOT_FAIL|DEADLINE|PREEMPTED)/;

async function until<T>(what: string, probe: () => T | undefined, seconds: number): Promise<T> {
  const end = Date.now() + seconds * 1000;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Starts a local Slurm keeping its state in `dir`; returns its SLURM_CONF. */
function startSlurm(dir: string): string {
  const started = spawnSync('bash', [SCRIPT, 'start', dir], { encoding: 'utf8', timeout: 120_000 });
  assert.equal(started.status, 0, `local Slurm did not start: ${started.stderr}`);
  const conf = /SLURM_CONF=(.+)/.exec(started.stdout)?.[1]?.trim();
  assert.ok(conf);
  return conf;
}

/** Stops the local Slurm in `dir`; returns what the script said on stderr. */
function stopSlurm(dir: string): string {
  return spawnSync('bash', [SCRIPT, 'stop', dir], { encoding: 'utf8', timeout: 120_000 }).stderr;
}

function epochsDone(runDir: string): number {
  try {
    return (JSON.parse(fs.readFileSync(path.join(runDir, 'checkpoint.json'), 'utf8')) as { epochsDone: number })
      .epochsDone;
  } catch {
    return 0;
  }
}

function jobOf(runDir: string): string {
  const job = readJob(runDir);
  assert.ok(job, `no slurm-job.json in ${runDir}`);
  return job.jobId;
}

async function finished(runDir: string): Promise<string> {
  const id = jobOf(runDir);
  return until(
    `job ${id} to end`,
    () => {
      const state = jobState(id);
      return state && FINAL.test(state) ? state : undefined;
    },
    480,
  );
}

function slurmLog(runDir: string): string {
  return fs
    .readdirSync(runDir)
    .filter((f) => f.startsWith('slurm-') && f.endsWith('.out'))
    .map((f) => fs.readFileSync(path.join(runDir, f), 'utf8').slice(-2000))
    .join('\n');
}

describe('training on a local Slurm', { skip, timeout: 1_200_000 }, () => {
  let dir = '';
  let workspace = '';
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rl-slurm-'));
    workspace = path.join(dir, 'workspace');
    process.env.SLURM_CONF = startSlurm(path.join(dir, 'slurm'));
  });
  after(() => {
    stopSlurm(path.join(dir, 'slurm'));
    delete process.env.SLURM_CONF;
    fs.rmSync(dir, { recursive: true, force: true, maxRetries: 5 });
  });

  let uninterrupted: ReturnType<typeof metrics> = [];
  const submit = (): ReturnType<typeof cli> =>
    cli(['train', MODEL, '--backend', 'torch', '--slurm', '--workspace', workspace, ...SETTINGS]);

  it('runs a job submitted with --slurm to completion and fills the run folder', async () => {
    const submitted = await submit();
    assert.equal(submitted.code, 0, submitted.err);
    assert.match(submitted.out, /submitted Slurm job \d+/);
    const runDir = runFolderOf(submitted.out);
    const script = fs.readFileSync(path.join(runDir, 'job.sbatch'), 'utf8');
    assert.match(
      script,
      /srun --ntasks-per-node=1 .*torch\.distributed\.run .*--nproc_per_node 2 .*--redirects 1 --tee 1/,
    );
    assert.equal(await finished(runDir), 'COMPLETED', slurmLog(runDir));
    const result = readResult(runDir);
    assert.equal(result.status, 'completed');
    assert.equal(result.history.length, 3);
    uninterrupted = metrics(result.history);
    const listed = await cli(['runs', '--workspace', workspace, '--json']);
    const rows = JSON.parse(listed.out) as { slurm?: { state: string } }[];
    assert.equal(rows[0]?.slurm?.state, 'COMPLETED');
  });

  it(
    'scancel in the middle of training, then --resume resubmitted, ends with the ' + "uninterrupted run's metrics",
    async () => {
      assert.ok(uninterrupted.length === 3, 'needs the uninterrupted run');
      const submitted = await submit();
      assert.equal(submitted.code, 0, submitted.err);
      const runDir = runFolderOf(submitted.out);
      await until("the first epoch's checkpoint", () => (epochsDone(runDir) >= 1 ? true : undefined), 480);
      const cancelled = await cli(['cancel', runDir]);
      assert.equal(cancelled.code, 0, cancelled.err);
      assert.match(cancelled.out, /^scancel \d+/);
      assert.equal(await finished(runDir), 'CANCELLED');
      const kept = epochsDone(runDir);
      assert.ok(kept >= 1 && kept < 3, `the cancel must land before the last epoch (checkpoint has ${kept})`);
      const resumed = await cli(['train', '--resume', runDir, '--slurm']);
      assert.equal(resumed.code, 0, resumed.err);
      assert.equal(readJob(runDir)?.jobs?.length, 2);
      assert.equal(await finished(runDir), 'COMPLETED', slurmLog(runDir));
      const result = readResult(runDir);
      assert.equal(result.status, 'completed');
      assert.deepEqual(metrics(result.history), uninterrupted);
    },
  );
});

/** Whether a process runs (a zombie has ended: only its parent has not read its status yet). */
function running(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

/**
 * Submits a job whose batch script starts a step (srun) that sleeps, and waits for the step to run;
 * returns the pids of the batch step's slurmstepd, the srun, the step's slurmstepd and its task.
 */
async function sleepingJob(dir: string, conf: string): Promise<number[]> {
  const script = path.join(dir, 'sleeper.sh');
  fs.writeFileSync(
    script,
    [
      '#!/bin/sh',
      `echo $PPID > ${dir}/batch.pid`,
      // The step's task writes its slurmstepd (its parent) and itself, then becomes the sleep.
      `srun --ntasks=1 sh -c 'echo $PPID $$ > ${dir}/step.tmp && mv ${dir}/step.tmp ${dir}/step.pids; ` +
        `exec sleep 600' &`,
      `echo $! > ${dir}/srun.pid`,
      'wait',
    ].join('\n') + '\n',
  );
  const env = { ...process.env, SLURM_CONF: conf };
  const submitted = spawnSync('sbatch', ['--parsable', '-D', dir, '-o', path.join(dir, 'job.out'), script], {
    encoding: 'utf8',
    env,
  });
  assert.equal(submitted.status, 0, submitted.stderr);
  const read = (name: string): number[] =>
    fs.readFileSync(path.join(dir, name), 'utf8').trim().split(/\s+/).map(Number);
  const written = (): boolean => ['batch.pid', 'srun.pid', 'step.pids'].every((f) => fs.existsSync(path.join(dir, f)));
  await until('the job step to run', () => (written() ? true : undefined), 120);
  const pids = [...read('batch.pid'), ...read('srun.pid'), ...read('step.pids')];
  assert.equal(pids.length, 4);
  for (const pid of pids) assert.ok(running(pid), `process ${pid} of the job runs`);
  return pids;
}

describe("the local Slurm's stop leaves no job behind", { skip: slurmMissing(), timeout: 600_000 }, () => {
  let dir = '';
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rl-slurm-stop-'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true, maxRetries: 5 }));

  /** A local Slurm of the test's own, running a sleeping job; stopped after the test unless the test did. */
  async function clusterWithJob(t: TestContext, name: string): Promise<{ pids: number[]; stop: () => string }> {
    const cluster = path.join(dir, name);
    const conf = startSlurm(cluster);
    let said: string | undefined;
    t.after(() => said ?? stopSlurm(cluster));
    const pids = await sleepingJob(cluster, conf);
    return { pids, stop: () => (said = stopSlurm(cluster)) };
  }

  it('cancels a running job first: its slurmstepd, srun and task end with it', async (t) => {
    const { pids, stop } = await clusterWithJob(t, 'cancelled');
    const said = stop();
    for (const pid of pids) assert.ok(!running(pid), `process ${pid} of the job still runs`);
    assert.doesNotMatch(said, /left behind/, 'scancel ended the job before the daemons stopped');
  });

  it("ends the steps its controller can no longer cancel, and no other cluster's", async (t) => {
    const { pids, stop } = await clusterWithJob(t, 'no-controller');
    // Another cluster's step, as the stop script sees one: named slurmstepd, with its own SLURM_CONF.
    const standIn = path.join(dir, 'slurmstepd');
    fs.copyFileSync('/bin/sleep', standIn);
    fs.chmodSync(standIn, 0o755);
    const other = spawn(standIn, ['600'], {
      env: { ...process.env, SLURM_CONF: '/elsewhere/slurm.conf' },
      stdio: 'ignore',
    });
    t.after(() => other.kill('SIGKILL'));
    const controller = Number(fs.readFileSync(path.join(dir, 'no-controller', 'slurmctld.pid'), 'utf8'));
    process.kill(controller, 'SIGKILL');
    await until('slurmctld to end', () => (running(controller) ? undefined : true), 30);
    const said = stop();
    for (const pid of pids) assert.ok(!running(pid), `process ${pid} of the job still runs`);
    assert.match(said, /ending \d+ processes of job steps left behind/);
    assert.ok(other.pid !== undefined && running(other.pid), "another cluster's step is left alone");
  });
});
