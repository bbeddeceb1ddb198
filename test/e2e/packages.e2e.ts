import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import type { RunSummary } from '../../src/engine/run/run-messages';
import { e2eSkip, startCodeServer, UNIVERSAL_VSIX, type CodeServer } from './code-server';
import { answerQuickInput, outputLog, readJson, runCommandNamed, runFolders, toast, waitFor } from './run-helpers';
import { clickAt, openFile, openWorkbench, screenshot, waitForLens } from './workbench';

// End-to-end: the universal package (no native engine) installed as people install it. Its runs
// use WebAssembly, and the output says which package carries the native engine for this machine.
const OUT = path.join(process.cwd(), 'test-output', 'e2e');
const SHOTS = path.join(OUT, 'screenshots');

describe('the universal package in a real VS Code', { skip: e2eSkip() }, () => {
  let server: CodeServer;
  let context: BrowserContext;
  let page: Page;

  before(async () => {
    server = await startCodeServer(
      path.join(OUT, 'universal-run'),
      path.join(process.cwd(), 'examples'),
      {
        'workbench.colorTheme': 'Default Dark Modern',
        'robustnessLens.evaluate.samples': 20,
      },
      { vsix: UNIVERSAL_VSIX },
    );
    ({ context, page } = await openWorkbench(server.url, server.workspace, path.join(OUT, 'universal-chromium')));
  });

  after(async () => {
    await context?.close();
    await server?.stop();
  });

  it('carries no native engine', () => {
    assert.equal(fs.existsSync(path.join(server.extension, 'dist', 'node_modules')), false);
    const target = readJson<{ target: string }>(path.join(server.extension, 'dist', 'package-target.json'));
    assert.equal(target?.target, 'universal');
  });

  it('evaluates from the lens on WebAssembly and names the package with the native engine', async () => {
    await openFile(page, 'mnist-small.arch.yaml');
    await waitForLens(page, /Evaluate robustness/);
    // The lenses are drawn again as the model's counts arrive: click once they hold still.
    for (let attempt = 1; ; attempt++) {
      try {
        await clickAt(page, '.codelens-decoration a', 'Evaluate robustness');
        break;
      } catch (error) {
        if (attempt === 5) throw error;
        await page.waitForTimeout(1_000);
      }
    }
    await answerQuickInput(page, 'weights', 'Random initial weights');
    await answerQuickInput(page, 'data set');
    await answerQuickInput(page, 'epsilon');
    await answerQuickInput(page, 'attacks', 'Quick');
    const result = await waitFor(
      'the evaluation result',
      () => {
        const dir = runFolders(server.workspace, 'eval').at(-1);
        return dir ? readJson<RunSummary>(path.join(dir, 'result.json')) : undefined;
      },
      180_000,
    );
    assert.equal(result.status, 'completed');
    assert.equal(result.evaluation?.samples, 20);
    const environment = readJson<{ backend: string }>(path.join(result.runDir, 'environment.json'));
    assert.equal(environment?.backend, 'wasm');
    const log = outputLog(server.userData);
    assert.match(log, /: on CPU \(WebAssembly SIMD, 1 thread\) \(wasm\)/);
    assert.match(log, /universal package, which carries no ONNX Runtime/);
    assert.ok(log.includes(`robustness-lens-${process.platform}-${process.arch}.vsix`), log);
    // No weights were picked: the notification says first that the figures are of untrained weights.
    await toast(page, /Evaluation of MNIST-small: UNTRAINED weights: clean/).waitFor({ timeout: 15_000 });
    // What a person reads when the run is slow: the output names the package to install.
    await runCommandNamed(page, 'Robustness Lens: Show Output');
    const outputView = page.locator('.panel .view-lines', { hasText: 'universal package' }).first();
    await outputView.waitFor({ timeout: 15_000 });
    await screenshot(page, SHOTS, '20-universal-package-wasm-run');
  });
});
