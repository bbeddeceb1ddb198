import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { BrowserContext, FrameLocator, Page } from 'playwright-core';
import type { RunSummary } from '../../src/engine/run/run-messages';
import { e2eSkip, startCodeServer, type CodeServer } from './code-server';
import {
  answerQuickInput,
  outputLog,
  postFromWebview,
  readJson,
  runCommandNamed,
  runFolders,
  toast,
  waitFor,
} from './run-helpers';
import { clickAt, openFile, openWorkbench, runCommand, screenshot, waitForLens } from './workbench';

// End-to-end: one-click runs in a real VS Code (code-server), as a person does them: the code
// lens, the quick pick, the progress notification and its Cancel button, the status bar, the
// results panel, a task from tasks.json. Screenshots go to test-output/e2e/screenshots.
const OUT = path.join(process.cwd(), 'test-output', 'e2e');
const SHOTS = path.join(OUT, 'screenshots');
const skip = e2eSkip();
const pct = (x: number): string => `${(100 * x).toFixed(1)}%`;

/** The examples folder plus a tasks.json with a quick evaluation (a task users would bind a key to). */
function workspaceSource(): string {
  const dir = path.join(OUT, 'runs-workspace-source');
  fs.rmSync(dir, { recursive: true, force: true });
  fs.cpSync(path.join(process.cwd(), 'examples'), dir, { recursive: true });
  fs.mkdirSync(path.join(dir, '.vscode'), { recursive: true });
  fs.writeFileSync(
    path.join(dir, '.vscode', 'tasks.json'),
    JSON.stringify(
      {
        version: '2.0.0',
        tasks: [
          {
            label: 'Quick FGSM check',
            type: 'robustness-lens',
            command: 'eval',
            model: 'mnist-small.arch.yaml',
            attacks: 'fgsm',
            n: 20,
            eps: '0.1',
            problemMatcher: [],
          },
        ],
      },
      null,
      2,
    ),
  );
  return dir;
}

function resultsFrame(page: Page): FrameLocator {
  return page.frameLocator('iframe.webview.ready').frameLocator('#active-frame');
}

describe('one-click robustness runs in a real VS Code', { skip }, () => {
  let server: CodeServer;
  let context: BrowserContext;
  let page: Page;
  let evalDir = '';

  before(async () => {
    server = await startCodeServer(path.join(OUT, 'runs-run'), workspaceSource(), {
      'workbench.colorTheme': 'Default Dark Modern',
      // A quick evaluation: 50 images instead of the protocol's 1000.
      'robustnessLens.evaluate.samples': 50,
      // xterm's DOM renderer, so the task terminal's text can be read.
      'terminal.integrated.gpuAcceleration': 'off',
    });
    ({ context, page } = await openWorkbench(server.url, server.workspace, path.join(OUT, 'runs-chromium')));
  });

  after(async () => {
    await context?.close();
    await server?.stop();
  });

  it('offers "Evaluate robustness" and "Train adversarially" above the model', async () => {
    await openFile(page, 'mnist-small.arch.yaml');
    const lenses = await waitForLens(page, /Evaluate robustness[\s\S]*Train adversarially/);
    assert.match(lenses, /MNIST-small: /, 'next to the parameter count');
    await screenshot(page, SHOTS, '10-run-lenses');
  });

  it(
    'trains from the lens with progress in a notification and the status bar; an evaluation ' +
      'started meanwhile waits',
    async () => {
      await clickAt(page, '.codelens-decoration a', 'Train adversarially');
      await answerQuickInput(page, 'data set');
      await answerQuickInput(page, 'epsilon');
      // Where to train: the engine, not the user's PyTorch (test/e2e/torch-runs.e2e.ts covers those).
      await answerQuickInput(page, 'where', 'On this machine');
      const training = toast(page, 'Training MNIST-small');
      await training.waitFor({ timeout: 30_000 });
      await waitFor(
        'a training step',
        async () => (/epoch 1\/10: \d+\/\d+ steps/.test(await training.innerText()) ? true : undefined),
        90_000,
      );
      await page
        .locator('.statusbar-item', { hasText: /Training MNIST-small \d+%/ })
        .first()
        .waitFor({ timeout: 15_000 });

      await clickAt(page, '.codelens-decoration a', 'Evaluate robustness');
      // No trained weights yet: the first pick offers a brief training, with its epochs; this run takes random ones.
      const weights = page.locator('.quick-input-widget:visible', { hasText: 'weights' });
      await weights.waitFor({ timeout: 20_000 });
      const offered = (await weights.locator('.monaco-list-row').allInnerTexts()).join(' | ');
      assert.match(offered, /Train briefly first[\s\S]*2 epochs of adversarial training, then evaluate its weights/);
      await answerQuickInput(page, 'weights', 'Random initial weights');
      await answerQuickInput(page, 'data set');
      await answerQuickInput(page, 'epsilon');
      await answerQuickInput(page, 'attacks', 'Quick');
      const evaluating = toast(page, 'Evaluating MNIST-small');
      await evaluating.waitFor({ timeout: 15_000 });
      assert.match(await evaluating.innerText(), /queued \(1 run ahead\)/);
      await page.locator('.statusbar-item', { hasText: '1 queued' }).first().waitFor({ timeout: 15_000 });
      await screenshot(page, SHOTS, '11-training-progress-evaluation-queued');
    },
  );

  it('cancels the training from its notification; the waiting evaluation then runs to the end', async () => {
    const training = toast(page, 'Training MNIST-small');
    await training.hover();
    const cancel = training.locator('.monaco-button', { hasText: 'Cancel' }).first();
    const box = await cancel.boundingBox();
    assert.ok(box, 'the Cancel button is on screen');
    await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
    const trainResult = await waitFor(
      'the cancelled training result',
      () => {
        const dir = runFolders(server.workspace, 'train').at(-1);
        return dir ? readJson<RunSummary>(path.join(dir, 'result.json')) : undefined;
      },
      60_000,
    );
    assert.equal(trainResult.status, 'cancelled');
    // The notification says what the cancel kept: the last finished epoch's checkpoint, if any.
    const epochs = trainResult.history?.length ?? 0;
    const kept =
      epochs > 0
        ? `Cancelled after epoch ${epochs} (checkpoint kept)`
        : 'Cancelled during epoch 1, before any checkpoint';
    await toast(page, `Training of MNIST-small: ${kept}`).waitFor({ timeout: 15_000 });
    const started = Date.now();
    const evalResult = await waitFor(
      'the evaluation result',
      () => {
        const dir = runFolders(server.workspace, 'eval').at(-1);
        return dir ? readJson<RunSummary>(path.join(dir, 'result.json')) : undefined;
      },
      180_000,
    );
    console.log(
      `evaluation (50 images, fgsm + pgd-20) finished ${((Date.now() - started) / 1000).toFixed(1)} s after the cancel`,
    );
    evalDir = evalResult.runDir;
    assert.equal(evalResult.status, 'completed');
    assert.equal(evalResult.evaluation?.samples, 50);
    assert.deepEqual(
      evalResult.evaluation?.attacks.map((a) => a.name),
      ['fgsm', 'pgd'],
    );
    assert.deepEqual(readJson<{ threat: unknown }>(path.join(evalDir, 'config.json'))?.threat, {
      norm: 'Linf',
      eps: 0.3,
    });
    // No weights were picked: the notification says first that the figures are of untrained weights.
    await toast(page, /Evaluation of MNIST-small: UNTRAINED weights: clean/).waitFor({ timeout: 15_000 });
  });

  it('ran both on the native ONNX Runtime the installed package carries, and says so in its output', () => {
    // The package VS Code installed holds this platform's ONNX Runtime beside the engine.
    assert.ok(fs.existsSync(path.join(server.extension, 'dist', 'node_modules', 'onnxruntime-node', 'package.json')));
    const environment = readJson<{ backend: string; device: string }>(path.join(evalDir, 'environment.json'));
    assert.equal(environment?.backend, 'onnxruntime', `the evaluation ran on ${JSON.stringify(environment)}`);
    const log = outputLog(server.userData);
    assert.match(log, /: on CPU \(onnxruntime-node \d+\.\d+\.\d+, \d+ threads\) \(onnxruntime\)/);
    assert.match(log, / {2}attacks run on ONNX Runtime \(CPU execution provider\)/);
    assert.match(log, / {2}training steps and attacks run on ONNX Runtime/);
    assert.doesNotMatch(log, /Cannot find module 'onnxruntime-node'/);
  });

  it(
    'opens the results panel on the finished run, showing the numbers of its result.json, ' +
      'in dark and light themes',
    async () => {
      const result = readJson<RunSummary>(path.join(evalDir, 'result.json'));
      const e = result?.evaluation;
      assert.ok(e);
      const frame = resultsFrame(page);
      const rows = frame.locator(`[data-run="${path.basename(evalDir)}"] table.attacks tbody tr`);
      await rows.first().waitFor({ timeout: 30_000 });
      const cells = (await rows.allInnerTexts()).map((r) => r.split('\t').map((c) => c.trim()));
      assert.deepEqual(
        cells.map((c) => [c[0], c[1]]),
        [['Clean', pct(e.cleanAccuracy)], ...e.attacks.map((a) => [`after ${a.name}`, pct(a.robustAccuracy)])],
      );
      const summary = await frame
        .locator(`[data-run="${path.basename(evalDir)}"] .summary`)
        .first()
        .innerText();
      assert.ok(summary.includes(`robust ${pct(e.robustAccuracy)}`), summary);
      assert.ok(summary.includes(`on ${e.samples} images`), summary);
      // Room for the panel: no side bar, no toasts over it.
      await page.keyboard.press('Control+B');
      await runCommandNamed(page, 'Notifications: Clear All Notifications');
      await page.waitForTimeout(800);
      await screenshot(page, SHOTS, '12-results-panel-dark');
      await runCommand(page, 'Toggle between Light/Dark Themes');
      await page.waitForFunction(
        () => document.querySelector('.monaco-workbench')?.classList.contains('vs'),
        undefined,
        {
          timeout: 15_000,
        },
      );
      await page.waitForTimeout(1_500);
      await screenshot(page, SHOTS, '13-results-panel-light');
      await runCommand(page, 'Toggle between Light/Dark Themes');
      await page.keyboard.press('Control+B');
    },
  );

  it('exports the run as a Markdown report through the save dialog', async () => {
    const id = path.basename(evalDir);
    const e = readJson<RunSummary>(path.join(evalDir, 'result.json'))?.evaluation;
    await resultsFrame(page).locator(`[data-run="${id}"] [data-export="markdown"]`).first().click();
    // code-server's save dialog is VS Code's own: a quick input holding the proposed path.
    await answerQuickInput(page, '');
    // The page names what it exported (`<run>-report.md`); the dialog proposes the workspace folder.
    const report = await waitFor(
      'the saved report',
      () => {
        const file = fs.readdirSync(server.workspace).find((f) => f.startsWith(id) && f.endsWith('.md'));
        return file ? fs.readFileSync(path.join(server.workspace, file), 'utf8') : undefined;
      },
      20_000,
    );
    assert.ok(e && report.includes(pct(e.robustAccuracy)), report);
    assert.deepEqual(
      fs.readdirSync(server.workspace).filter((f) => f.endsWith('.tmp')),
      [],
      'no temporary file left',
    );
  });

  it('rejects and logs a webview message of the wrong shape, acting on none', async () => {
    const before = runFolders(server.workspace, 'eval').length;
    const exports = (outputLog(server.userData).match(/exported/g) ?? []).length;
    await postFromWebview(page, { type: 'openFolder', runId: '../../../etc' });
    await postFromWebview(page, { type: 'export', format: 'exe', runIds: [path.basename(evalDir)] });
    await postFromWebview(page, { type: 'runCommand', command: 'workbench.action.terminal.new' });
    const log = await waitFor(
      'the rejections in the output log',
      () => {
        const text = outputLog(server.userData);
        return (text.match(/rejected a malformed message/g) ?? []).length >= 3 ? text : undefined;
      },
      20_000,
    );
    assert.match(log, /rejected a malformed message: \{"type":"openFolder","runId":"\.\.\/\.\.\/\.\.\/etc"\}/);
    assert.match(log, /rejected a malformed message: \{"type":"runCommand"/);
    assert.equal((log.match(/exported/g) ?? []).length, exports, 'nothing exported');
    assert.equal(runFolders(server.workspace, 'eval').length, before);
    // A well-formed message still works after the rejections: the panel asks for the runs again.
    await postFromWebview(page, { type: 'ready' });
  });

  it('runs a robustness-lens task from tasks.json, printing its progress in a terminal', async () => {
    const before = runFolders(server.workspace, 'eval').length;
    // Keys go to the workbench, not the results page that has focus after the export.
    await page.locator('.editor-group-container .view-lines').first().click();
    await runCommandNamed(page, 'Tasks: Run Task');
    await answerQuickInput(page, '', 'Quick FGSM check');
    const result = await waitFor(
      "the task's run",
      () => {
        const folders = runFolders(server.workspace, 'eval');
        const dir = folders.length > before ? folders.at(-1) : undefined;
        return dir ? readJson<RunSummary>(path.join(dir, 'result.json')) : undefined;
      },
      120_000,
    );
    assert.equal(result.evaluation?.samples, 20);
    assert.deepEqual(result.evaluation?.threat, { norm: 'Linf', eps: 0.1 });
    const terminal = page.locator('.terminal-wrapper.active .xterm-rows, .terminal .xterm-rows').first();
    const text = await waitFor(
      'the summary in the terminal',
      async () => {
        const t = (await terminal.innerText().catch(() => '')).replace(/\u00a0/g, ' ');
        return /robust \d+\.\d%/.test(t) ? t : undefined;
      },
      20_000,
    );
    assert.match(
      text,
      new RegExp(
        `clean ${pct(result.evaluation?.cleanAccuracy ?? -1).replace('.', '\\.')}, robust ` +
          `${pct(result.evaluation?.robustAccuracy ?? -1).replace('.', '\\.')} \\(fgsm\\) on ` +
          `20 images`,
      ),
    );
    assert.match(text, /run folder: .*\.robustness-lens\/runs\/.*-eval-/);
    await screenshot(page, SHOTS, '14-task-terminal');
  });
});

describe('runs in a workspace in Restricted Mode', { skip }, () => {
  let server: CodeServer;
  let context: BrowserContext;
  let page: Page;

  before(async () => {
    server = await startCodeServer(
      path.join(OUT, 'restricted-run'),
      path.join(process.cwd(), 'examples'),
      {
        'workbench.colorTheme': 'Default Dark Modern',
        'security.workspace.trust.enabled': true,
        'security.workspace.trust.startupPrompt': 'never',
      },
      { workspaceTrust: true },
    );
    ({ context, page } = await openWorkbench(server.url, server.workspace, path.join(OUT, 'restricted-chromium')));
  });

  after(async () => {
    await context?.close();
    await server?.stop();
  });

  it('shows counts but no run lenses, and no run commands', async () => {
    await openFile(page, 'mnist-small.arch.yaml');
    const lenses = await waitForLens(page, /MNIST-small: /);
    // The lenses arrive together: wait a moment for any that would come late.
    await page.waitForTimeout(2_000);
    const again = (await page.locator('.editor-group-container.active .codelens-decoration').allInnerTexts()).join(
      ' | ',
    );
    assert.doesNotMatch(`${lenses} ${again}`, /Evaluate robustness|Train adversarially/);
    await page.keyboard.press('Control+Shift+P');
    await page.keyboard.type('>Robustness Lens: Evaluate Robustness');
    await page.waitForTimeout(800);
    const rows = await page.locator('.quick-input-list .monaco-list-row').allInnerTexts();
    assert.ok(!rows.some((r) => /Evaluate Robustness/.test(r)), `listed: ${rows.join(' | ')}`);
    await screenshot(page, SHOTS, '15-restricted-mode-no-run-lenses');
    await page.keyboard.press('Escape');
  });
});
