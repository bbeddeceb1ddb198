import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import type { BrowserContext, FrameLocator, Page } from 'playwright-core';
import type { RunSummary } from '../../src/engine/run/run-messages';
import { e2eSkip, startCodeServer, type CodeServer } from './code-server';
import { answerQuickInput, readJson, runCommandNamed, runFolders, waitFor } from './run-helpers';
import { clickAt, openFile, openWorkbench, screenshot, waitForLens } from './workbench';

// End-to-end: "Train adversarially" on the user's PyTorch from a real VS Code (code-server):
// torchrun with 2 CPU processes here, and a job on a local single-node Slurm (when this machine
// can start one), each followed by the results panel through its run folder to the end.
const OUT = path.join(process.cwd(), 'test-output', 'e2e');
const SHOTS = path.join(OUT, 'screenshots');
const PYTHON = '/usr/bin/python3';
const SLURM_SCRIPT = path.join(process.cwd(), 'scripts', 'test', 'local-slurm.sh');
const pct = (x: number): string => `${(100 * x).toFixed(1)}%`;

function torchMissing(): string | false {
  const probe = spawnSync(PYTHON, ['-c', 'import torch, torch.distributed as d; assert d.is_gloo_available()'], {
    encoding: 'utf8',
  });
  return probe.status === 0 ? false : `no torch with gloo for ${PYTHON}`;
}

function slurmMissing(): string | false {
  if (process.getuid?.() !== 0) return 'the local Slurm needs root';
  for (const tool of ['slurmctld', 'slurmd', 'munged', 'sbatch', 'squeue', 'scancel']) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) return `no ${tool}`;
  }
  return false;
}

/** An MNIST IDX file cut to its first `n` items (the header's count rewritten). */
function cutIdx(file: string, n: number): Buffer {
  const data = zlib.gunzipSync(fs.readFileSync(file));
  const dims = data[3] ?? 1;
  const item =
    dims === 1
      ? 1
      : Array.from({ length: dims - 1 }, (_, i) => data.readUInt32BE(8 + 4 * i)).reduce((a, b) => a * b, 1);
  const header = Buffer.from(data.subarray(0, 4 + 4 * dims));
  header.writeUInt32BE(n, 4);
  return Buffer.concat([header, data.subarray(4 + 4 * dims, 4 + 4 * dims + n * item)]);
}

/** The examples plus `tiny-mnist/`: 128 training and 64 test digits of the bundled set, so an epoch takes seconds. */
function workspaceSource(): string {
  const dir = path.join(OUT, 'torch-runs-workspace-source');
  fs.rmSync(dir, { recursive: true, force: true });
  fs.cpSync(path.join(process.cwd(), 'examples'), dir, { recursive: true });
  const bundled = path.join(process.cwd(), 'dist', 'data', 'mnist-bundled');
  // python.path is machine-overridable: in a remote window (code-server) the user's value does
  // not apply, the workspace's does.
  fs.mkdirSync(path.join(dir, '.vscode'), { recursive: true });
  fs.writeFileSync(
    path.join(dir, '.vscode', 'settings.json'),
    JSON.stringify({ 'robustnessLens.python.path': PYTHON }, null, 2),
  );
  const tiny = path.join(dir, 'tiny-mnist');
  fs.mkdirSync(tiny);
  for (const [name, n] of [
    ['train-images-idx3-ubyte', 128],
    ['train-labels-idx1-ubyte', 128],
    ['t10k-images-idx3-ubyte', 64],
    ['t10k-labels-idx1-ubyte', 64],
  ] as const) {
    fs.writeFileSync(path.join(tiny, name), cutIdx(path.join(bundled, `${name}.gz`), n));
  }
  return dir;
}

function resultsFrame(page: Page): FrameLocator {
  return page.frameLocator('iframe.webview.ready').frameLocator('#active-frame');
}

/** Train adversarially from the lens, on the tiny data and its default radius, placed where `where` says. */
async function startTraining(page: Page, where: 'torchrun' | 'Slurm', via: 'lens' | 'palette'): Promise<void> {
  await openFile(page, 'mnist-small.arch.yaml');
  await waitForLens(page, /Train adversarially/);
  // The lens the first time; then the results panel beside narrows the editor past it, and the
  // palette runs the same command on the active editor.
  if (via === 'lens') await clickAt(page, '.codelens-decoration a', 'Train adversarially');
  else await runCommandNamed(page, 'Robustness Lens: Train Adversarially');
  await answerQuickInput(page, 'data set');
  await answerQuickInput(page, 'epsilon');
  await answerQuickInput(page, 'where', where);
}

/** The modal that asks before the user's PyTorch runs; answers with `button`. */
async function confirm(page: Page, button: string): Promise<string> {
  const dialog = page.locator('.monaco-dialog-box');
  await dialog.waitFor({ timeout: 20_000 });
  const text = await dialog.innerText();
  await dialog.locator('.monaco-button', { hasText: button }).first().click();
  return text;
}

/** Waits for the run's details in the panel to say it finished, and returns its text. */
async function panelFinished(page: Page, runId: string, timeoutMs: number): Promise<string> {
  const details = resultsFrame(page).locator(`article.details[data-run="${runId}"]`).first();
  return waitFor(
    `the panel to show ${runId} finished`,
    async () => {
      const text = await details.innerText({ timeout: 2_000 }).catch(() => '');
      return /finished|COMPLETED/.test(text) && !/Cancel run/.test(text) ? text : undefined;
    },
    timeoutMs,
  );
}

const skip = e2eSkip() || torchMissing();

describe("training on the user's PyTorch from the editor", { skip, timeout: 1_500_000 }, () => {
  let server: CodeServer;
  let context: BrowserContext;
  let page: Page;
  let slurmDir = '';
  const noSlurm = slurmMissing();

  before(async () => {
    if (!noSlurm) {
      slurmDir = path.join(OUT, 'torch-runs-slurm');
      fs.rmSync(slurmDir, { recursive: true, force: true });
      const started = spawnSync('bash', [SLURM_SCRIPT, 'start', slurmDir], { encoding: 'utf8', timeout: 120_000 });
      assert.equal(started.status, 0, `local Slurm did not start: ${started.stderr}`);
      const conf = /SLURM_CONF=(.+)/.exec(started.stdout)?.[1]?.trim();
      assert.ok(conf);
      // code-server (and so the extension host and sbatch) inherits it.
      process.env.SLURM_CONF = conf;
    }
    server = await startCodeServer(path.join(OUT, 'torch-runs-run'), workspaceSource(), {
      'workbench.colorTheme': 'Default Dark Modern',
      'robustnessLens.python.path': PYTHON,
      'robustnessLens.run.data': 'tiny-mnist',
      'robustnessLens.train.epochs': 1,
      'robustnessLens.torch.processes': 2,
      'robustnessLens.torch.device': 'cpu',
      'robustnessLens.slurm.time': '20',
    });
    ({ context, page } = await openWorkbench(server.url, server.workspace, path.join(OUT, 'torch-runs-chromium')));
  });

  after(async () => {
    await context?.close();
    await server?.stop();
    if (slurmDir) spawnSync('bash', [SLURM_SCRIPT, 'stop', slurmDir]);
    delete process.env.SLURM_CONF;
  });

  it('torchrun (2 processes): asks before running PyTorch, then the panel follows the run to its result', async () => {
    await startTraining(page, 'torchrun', 'lens');
    await answerQuickInput(page, 'torchrun: processes');
    const asked = await confirm(page, 'Run with PyTorch');
    assert.match(
      asked,
      /Train mnist-small\.arch\.yaml with PyTorch \(torchrun, 2 processes\)\? This runs \/usr\/bin\/python3/,
    );
    const runDir = await waitFor('the run folder', () => runFolders(server.workspace, 'train').at(-1), 120_000);
    const config = await waitFor(
      'config.json',
      () =>
        readJson<{ backend: string; torch: { launch: { nprocPerNode: number } } }>(path.join(runDir, 'config.json')),
      120_000,
    );
    assert.equal(config.backend, 'torch');
    assert.equal(config.torch.launch.nprocPerNode, 2);
    const result = await waitFor('result.json', () => readJson<RunSummary>(path.join(runDir, 'result.json')), 600_000);
    assert.equal(result.status, 'completed');
    const last = result.history?.at(-1);
    assert.ok(last);
    // Two processes trained it: the trainer's environment says so.
    assert.equal(readJson<{ worldSize: number }>(path.join(runDir, 'environment.json'))?.worldSize, 2);
    const shown = await panelFinished(page, path.basename(runDir), 60_000);
    assert.ok(shown.includes(pct(last.cleanAccuracy)), `clean ${pct(last.cleanAccuracy)} in:\n${shown}`);
    await screenshot(page, SHOTS, '30-torchrun-finished');
  });

  it(
    'Slurm: the job shows its state, and after a window reload the panel still follows it to COMPLETED',
    { skip: noSlurm },
    async () => {
      const before = new Set(runFolders(server.workspace, 'train'));
      await startTraining(page, 'Slurm', 'palette');
      await answerQuickInput(page, 'partition');
      await answerQuickInput(page, 'GPUs per node');
      await answerQuickInput(page, 'time limit');
      await answerQuickInput(page, 'account');
      const asked = await confirm(page, 'Submit to Slurm');
      assert.match(
        asked,
        /PyTorch \(Slurm, 2 processes \(CPU\), default partition, time 20\)\? This submits a Slurm job/,
      );
      const runDir = await waitFor(
        "the submitted run's folder",
        () =>
          runFolders(server.workspace, 'train').find(
            (d) => !before.has(d) && fs.existsSync(path.join(d, 'slurm-job.json')),
          ),
        180_000,
      );
      const job = readJson<{ jobId: string }>(path.join(runDir, 'slurm-job.json'));
      assert.ok(job);
      const runId = path.basename(runDir);
      const frame = resultsFrame(page);
      const state = await waitFor(
        'the job state in the run list',
        async () => {
          const text = await frame
            .locator('body')
            .innerText({ timeout: 2_000 })
            .catch(() => '');
          return new RegExp(`Slurm ${job.jobId}: (PENDING|RUNNING|COMPLETED)`).exec(text)?.[1];
        },
        120_000,
      );
      assert.ok(state);
      await screenshot(page, SHOTS, '31-slurm-job-state');
      // A reload restarts the extension host: the panel comes back and the run is found again.
      await page.reload();
      await page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
      await page.waitForTimeout(5_000);
      // The panel (restored, or opened again) lists the run; its details follow it to the end.
      await runCommandNamed(page, 'Robustness Lens: Show Robustness Results');
      const link = resultsFrame(page).locator(`[data-open="${runId}"]`).first();
      await link.waitFor({ timeout: 60_000 });
      await link.click();
      const shown = await panelFinished(page, runId, 600_000).catch(async (error: unknown) => {
        await screenshot(page, SHOTS, '32-slurm-not-finished');
        throw error;
      });
      const result = readJson<RunSummary>(path.join(runDir, 'result.json'));
      assert.equal(result?.status, 'completed');
      assert.match(shown, new RegExp(`Slurm ${job.jobId}: COMPLETED`));
      const last = result?.history?.at(-1);
      assert.ok(last && shown.includes(pct(last.cleanAccuracy)), shown);
      await screenshot(page, SHOTS, '33-slurm-completed-after-reload');
    },
  );
});
