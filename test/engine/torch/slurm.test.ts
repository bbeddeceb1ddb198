import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
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
    const started = spawnSync('bash', [SCRIPT, 'start', path.join(dir, 'slurm')], {
      encoding: 'utf8',
      timeout: 120_000,
    });
    assert.equal(started.status, 0, `local Slurm did not start: ${started.stderr}`);
    const conf = /SLURM_CONF=(.+)/.exec(started.stdout)?.[1]?.trim();
    assert.ok(conf);
    process.env.SLURM_CONF = conf;
  });
  after(() => {
    spawnSync('bash', [SCRIPT, 'stop', path.join(dir, 'slurm')]);
    delete process.env.SLURM_CONF;
    fs.rmSync(dir, { recursive: true, force: true, maxRetries: 5 });
  });

  let uninterrupted: ReturnType<typeof metrics> = [];

  it('runs a job submitted with --slurm to completion and fills the run folder', async () => {
    const submitted = await cli([
      'train',
      MODEL,
      '--backend',
      'torch',
      '--slurm',
      '--workspace',
      workspace,
      ...SETTINGS,
    ]);
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
      const submitted = await cli([
        'train',
        MODEL,
        '--backend',
        'torch',
        '--slurm',
        '--workspace',
        workspace,
        ...SETTINGS,
      ]);
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
