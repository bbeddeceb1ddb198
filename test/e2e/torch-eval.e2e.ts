import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { BrowserContext, FrameLocator, Page } from 'playwright-core';
import type { RunSummary } from '../../src/engine/run/run-messages';
import { e2eSkip, startCodeServer, type CodeServer } from './code-server';
import { answerQuickInput, readJson, runFolders, waitFor } from './run-helpers';
import { clickAt, openFile, openWorkbench, screenshot, waitForLens } from './workbench';
import { PADDED_NET_PY as MODEL } from '../helpers/padded-net';

// End-to-end: a PyTorch model the engine cannot build (a ZeroPad2d) gets "Evaluate robustness
// (runs your PyTorch)" in a trusted workspace; the command asks before running the file, then
// evaluates it on Debian's PyTorch (20 digits, FGSM and PGD-20) to the results panel.
const OUT = path.join(process.cwd(), 'test-output', 'e2e');
const SHOTS = path.join(OUT, 'screenshots');
const PYTHON = '/usr/bin/python3';
const LENS = 'Evaluate robustness (runs your PyTorch)';
const pct = (x: number): string => `${(100 * x).toFixed(1)}%`;

function torchMissing(): string | false {
  return spawnSync(PYTHON, ['-c', 'import torch, numpy']).status === 0 ? false : `no torch for ${PYTHON}`;
}

/** One model file, and python.path in the workspace (machine-overridable: the remote window reads the folder's). */
function workspaceSource(): string {
  const dir = path.join(OUT, 'torch-eval-workspace-source');
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(path.join(dir, 'models'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'models', 'padded.py'), MODEL);
  fs.mkdirSync(path.join(dir, '.vscode'));
  fs.writeFileSync(
    path.join(dir, '.vscode', 'settings.json'),
    JSON.stringify({ 'robustnessLens.python.path': PYTHON }, null, 2),
  );
  return dir;
}

function resultsFrame(page: Page): FrameLocator {
  return page.frameLocator('iframe.webview.ready').frameLocator('#active-frame');
}

const skip = e2eSkip() || torchMissing();

describe("evaluating a model the engine cannot build on the user's PyTorch", { skip, timeout: 600_000 }, () => {
  let server: CodeServer;
  let context: BrowserContext;
  let page: Page;

  before(async () => {
    server = await startCodeServer(path.join(OUT, 'torch-eval-run'), workspaceSource(), {
      'workbench.colorTheme': 'Default Dark Modern',
      'robustnessLens.python.path': PYTHON,
      'robustnessLens.evaluate.samples': 20,
      'robustnessLens.torch.device': 'cpu',
    });
    ({ context, page } = await openWorkbench(server.url, server.workspace, path.join(OUT, 'torch-eval-chromium')));
  });

  after(async () => {
    await context?.close();
    await server?.stop();
  });

  it('offers the lens instead of the engine ones, asks, and shows the result in the panel', async () => {
    await openFile(page, 'models/padded.py');
    const lenses = await waitForLens(page, /Evaluate robustness \(runs your PyTorch\)/);
    assert.doesNotMatch(lenses, /Train adversarially/, 'the engine cannot build it');
    await screenshot(page, SHOTS, '40-torch-eval-lens');
    await clickAt(page, '.codelens-decoration a', LENS);
    const entry = page.locator('.quick-input-widget:visible', { hasText: 'entry' });
    await entry.waitFor({ timeout: 20_000 });
    assert.equal(await entry.locator('input').first().inputValue(), 'models/padded.py:padded_net');
    await answerQuickInput(page, 'entry');
    await answerQuickInput(page, 'weights', 'Untrained');
    await answerQuickInput(page, 'data set');
    await answerQuickInput(page, 'epsilon');
    await answerQuickInput(page, 'input normalisation');
    const attacks = page.locator('.quick-input-widget:visible', { hasText: 'attacks' });
    await attacks.waitFor({ timeout: 20_000 });
    const offered = (await attacks.locator('.monaco-list-row').allInnerTexts()).join(' | ');
    assert.match(offered, /AutoAttack \(standard\)[\s\S]*AutoAttack \(plus\)[\s\S]*AutoAttack \(rand\)[\s\S]*Quick/);
    await answerQuickInput(page, 'attacks', 'Quick');
    const dialog = page.locator('.monaco-dialog-box');
    await dialog.waitFor({ timeout: 20_000 });
    assert.match(
      await dialog.innerText(),
      /Evaluate models\/padded\.py:padded_net with PyTorch\? This runs models\/padded\.py with \/usr\/bin\/python3/,
    );
    await dialog.locator('.monaco-button', { hasText: 'Run with PyTorch' }).first().click();

    const started = Date.now();
    const result = await waitFor(
      'the evaluation result',
      () => {
        const dir = runFolders(server.workspace, 'eval').at(-1);
        return dir ? readJson<RunSummary & { backend?: { name: string } }>(path.join(dir, 'result.json')) : undefined;
      },
      180_000,
    );
    console.log(`torch evaluation (20 images, fgsm + pgd-20) took ${((Date.now() - started) / 1000).toFixed(1)} s`);
    assert.equal(result.status, 'completed');
    assert.equal(result.backend?.name, 'torch');
    const e = result.evaluation;
    assert.ok(e);
    assert.equal(e.samples, 20);
    assert.ok(
      e.warnings?.some((w) => w.code === 'untrained-weights'),
      'flagged untrained',
    );
    const id = path.basename(result.runDir);
    const frame = resultsFrame(page);
    const summary = frame.locator(`[data-run="${id}"] .summary`).first();
    const shown = await waitFor(
      'the run in the results panel',
      async () => {
        const text = await summary.innerText({ timeout: 2_000 }).catch(() => '');
        return text.includes(`robust ${pct(e.robustAccuracy)}`) ? text : undefined;
      },
      60_000,
    );
    assert.ok(shown.includes('on 20 images'), shown);
    await screenshot(page, SHOTS, '41-torch-eval-results');
  });
});
