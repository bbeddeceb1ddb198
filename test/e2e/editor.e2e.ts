import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { e2eSkip, startCodeServer, type CodeServer } from './code-server';
import { outputLog, runCommandNamed, waitFor } from './run-helpers';
import {
  chooseAction,
  clickAt,
  openFile,
  openWorkbench,
  problemRows,
  runCommand,
  screenshot,
  waitForEditorText,
  waitForLens,
} from './workbench';

// End-to-end: the built extension in a real VS Code (code-server 4.100.3 = VS Code 1.100.3),
// driven through Debian's Chromium, asserting on what a person sees. Screenshots go to
// test-output/e2e/screenshots.
const OUT = path.join(process.cwd(), 'test-output', 'e2e');
const SHOTS = path.join(OUT, 'screenshots');

function findFiles(dir: string, pattern: RegExp): string[] {
  if (!fs.existsSync(dir)) return [];
  return (fs.readdirSync(dir, { recursive: true }) as string[])
    .map((f) => path.join(dir, String(f)))
    .filter((f) => pattern.test(f));
}

describe('Robustness Lens in a real VS Code', { skip: e2eSkip() }, () => {
  let server: CodeServer;
  let context: BrowserContext;
  let page: Page;

  before(async () => {
    fs.rmSync(SHOTS, { recursive: true, force: true });
    server = await startCodeServer(path.join(OUT, 'run'), path.join(process.cwd(), 'examples'), {
      'workbench.colorTheme': 'Default Dark Modern',
    });
    ({ context, page } = await openWorkbench(server.url, server.workspace, path.join(OUT, 'chromium')));
  });

  after(async () => {
    await context?.close();
    await server?.stop();
  });

  it('shows parameter counts as inlay hints and the total against the budget in a code lens', async () => {
    await openFile(page, 'resnet50.arch.yaml');
    await waitForLens(page, /ResNet-50: 25\.56M \/ 26M budget \(-1\.7%\) · 4\.09 GMACs @224/);
    // Stem: 7x7 conv 3->64 and its BatchNorm; stage 1: 3 bottleneck blocks.
    const text = await waitForEditorText(page, /stem:\s+# 9,536 params/);
    assert.match(text, /depth: 3, width: 256, .*# 215,808 params/);
    assert.match(text, /num_classes: 1000\s+# 2,049,000 params/);
    await screenshot(page, SHOTS, '01-resnet50-inlay-hints-code-lens');
  });

  it('shows the guideline warnings of ResNet-50 in the editor and the Problems panel', async () => {
    await page.waitForSelector('.squiggly-warning', { timeout: 60_000 });
    await page.keyboard.press('Control+Shift+M');
    const rows = await problemRows(page);
    for (const code of ['RA002', 'RA006', 'RA007', 'RA011', 'RA013', 'RA016']) {
      assert.ok(
        rows.some((r) => r.includes(code)),
        `${code} missing from the Problems panel: ${rows.join(' | ')}`,
      );
    }
    assert.ok(rows.some((r) => /ReLU as the activation .*; SiLU was more robust/.test(r)));
    await screenshot(page, SHOTS, '02-resnet50-problems');
  });

  it("shows a stage's layers, counts and MACs on hover", async () => {
    const stageLine = page
      .locator('.editor-group-container.active .view-line', { hasText: 'depth: 6, width: 1024' })
      .first();
    const box = await stageLine.boundingBox();
    assert.ok(box, 'the stage line is on screen');
    await page.mouse.move(box.x + 60, box.y + box.height / 2);
    const hover = page.locator('.monaco-hover:visible').first();
    await hover.waitFor({ timeout: 15_000 });
    const text = await hover.innerText();
    assert.match(text, /7,098,368 params/);
    assert.match(text, /stages\.stage3\.stage3-block0\.F\.a\.0/);
    await screenshot(page, SHOTS, '02b-resnet50-hover');
    await page.mouse.move(5, 5);
  });

  it("shows the active model's total against its budget in the status bar", async () => {
    const item = page.locator('.statusbar-item', { hasText: '25.56M / 26M' });
    await item.first().waitFor({ timeout: 15_000 });
    assert.match(await item.first().innerText(), /25\.56M \/ 26M \(-1\.7%\)/);
  });

  it('applies the RA011 quick fix: ReLU becomes SiLU and RA011 is gone', async () => {
    // A person clicks the problem (the cursor moves there) and opens the quick fixes.
    await clickAt(page, '.markers-panel .monaco-list-row', 'RA011');
    await page.keyboard.press('Enter');
    await page.waitForTimeout(800);
    await page.keyboard.press('Control+.');
    await page.locator('.action-widget .monaco-list-row').first().waitFor({ timeout: 15_000 });
    await screenshot(page, SHOTS, '03-resnet50-quick-fix-menu');
    await chooseAction(page, 'Use SiLU');
    await waitForEditorText(page, /activations: \[silu, silu, silu\]/);
    await page.waitForTimeout(1_000);
    const rows = await page.locator('.markers-panel .monaco-list-row').allInnerTexts();
    assert.ok(!rows.some((r) => r.includes('RA011')), `RA011 still listed: ${rows.join(' | ')}`);
    assert.ok(
      rows.some((r) => r.includes('RA016')),
      'the other findings stay',
    );
    await screenshot(page, SHOTS, '04-resnet50-after-quick-fix');
  });

  it('applies "Ignore RA016 for this file": a comment at the top, RA016 gone from the whole file', async () => {
    await clickAt(page, '.markers-panel .monaco-list-row', 'RA016');
    await page.keyboard.press('Enter');
    await page.waitForTimeout(800);
    await page.keyboard.press('Control+.');
    await page.locator('.action-widget .monaco-list-row').first().waitFor({ timeout: 15_000 });
    await chooseAction(page, 'Ignore RA016 for this file');
    await page.keyboard.press('Control+Home');
    await waitForEditorText(page, /# robustness-lens: ignore-file\[RA016\]/);
    await waitFor(
      'RA016 to leave the Problems panel',
      async () => {
        const rows = await page.locator('.markers-panel .monaco-list-row').allInnerTexts();
        return rows.some((r) => r.includes('RA016')) ? undefined : rows;
      },
      15_000,
    );
    const rows = await page.locator('.markers-panel .monaco-list-row').allInnerTexts();
    assert.ok(
      rows.some((r) => r.includes('RA002')),
      `the other findings stay: ${rows.join(' | ')}`,
    );
    await screenshot(page, SHOTS, '04b-resnet50-ignore-for-this-file');
  });

  it('opens the parameter breakdown panel from the code lens', async () => {
    await page.keyboard.press('Escape');
    await clickAt(page, '.codelens-decoration a', 'ResNet-50');
    const frame = page.frameLocator('iframe.webview.ready').frameLocator('#active-frame');
    await frame.locator('h1').waitFor({ timeout: 30_000 });
    assert.equal(await frame.locator('h1').innerText(), 'ResNet-50');
    const parts = await frame.locator('table').first().locator('tbody tr').allInnerTexts();
    assert.deepEqual(
      parts.map((r) => r.split('\t')[0]),
      ['stem', 'stage1', 'stage2', 'stage3', 'stage4', 'head'],
    );
    await screenshot(page, SHOTS, '05-breakdown-panel-dark');
    // The same panel in the light theme.
    await runCommand(page, 'Toggle between Light/Dark Themes');
    await page.waitForFunction(() => document.querySelector('.monaco-workbench')?.classList.contains('vs'), undefined, {
      timeout: 15_000,
    });
    await page.waitForTimeout(1_000);
    await screenshot(page, SHOTS, '06-breakdown-panel-light');
    await runCommand(page, 'Toggle between Light/Dark Themes');
  });

  it('reads PyTorch code: counts per layer line and warnings pointed at the Python lines', async () => {
    await openFile(page, 'pytorch/resnet.py');
    // The models' lenses sit above their factory functions, at the end of the file.
    const toEnd = () => page.keyboard.press('Control+End');
    await waitForLens(page, /resnet18: 11\.69M params/, 60_000, toEnd);
    await waitForLens(page, /resnet50: 25\.56M params/, 60_000, toEnd);
    await page.keyboard.press('Control+G');
    await page.keyboard.type('84');
    await page.keyboard.press('Enter');
    // The stem line both models build says so, instead of a bare "×2".
    const stem = /self\.conv1 = nn\.Conv2d\(3, self\.inplanes, kernel_size=7, stride=2, padding=3, bias=False\)\s+/;
    await waitForEditorText(page, new RegExp(`${stem.source}# 9,408 params · used by 2 models`));
    await screenshot(page, SHOTS, '07-pytorch-resnet');
    // A helper's layers are counted where a block calls it, not on the helper's return line.
    await page.keyboard.press('Control+G');
    await page.keyboard.type('12');
    await page.keyboard.press('Enter');
    await waitForEditorText(page, /self\.conv1 = conv3x3\(inplanes, planes, stride\)\s+# [\d,]+ params in 8 blocks/);
    const helperReturn = page.locator('.view-line', {
      hasText: 'return nn.Conv2d(in_planes, out_planes, kernel_size=3',
    });
    const returnLine = await helperReturn.first().innerText();
    assert.doesNotMatch(returnLine.replace(/\u00a0/g, ' '), /# [\d,]+ params/, returnLine);
    await screenshot(page, SHOTS, '07b-pytorch-helper-call-counts');
  });

  it("shows the language server's state in the status bar, restarts it and shows its output on command", async () => {
    const item = page.locator('.statusbar-item', { hasText: 'Robustness Lens' }).first();
    await item.waitFor({ timeout: 15_000 });
    assert.equal(await item.locator('.codicon-check').count(), 1, 'running');
    await runCommandNamed(page, 'Robustness Lens: Restart Server');
    const log = await waitFor(
      'the restart in the output',
      () => {
        const text = outputLog(server.userData);
        return text.includes('the language server is running again') ? text : undefined;
      },
      60_000,
    );
    assert.match(log, /restarting the language server \(Robustness Lens: Restart Server\)/);
    await item.locator('.codicon-check').waitFor({ timeout: 30_000 });
    // The restarted server analyses the open file again: the counts of the lines in view come back.
    await waitForEditorText(page, /self\.conv1 = conv3x3\(inplanes, planes, stride\).*# [\d,]+ params/, 60_000);
    await runCommandNamed(page, 'Robustness Lens: Show Output');
    const outputView = page.locator('.panel .view-lines', { hasText: 'Robustness Lens activated in' }).first();
    await outputView.waitFor({ timeout: 15_000 });
    assert.match((await outputView.innerText()).replace(/\u00a0/g, ' '), /the language server is running again/);
    // The tooltip offers both commands.
    const box = await item.boundingBox();
    assert.ok(box, 'the status item is on screen');
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    const hover = page
      .locator('.monaco-hover:visible, .workbench-hover:visible', { hasText: 'Restart Server' })
      .first();
    await hover.waitFor({ timeout: 15_000 });
    assert.match(await hover.innerText(), /language server is running[\s\S]*Show Output[\s\S]*Restart Server/);
    await screenshot(page, SHOTS, '08-server-status-restart-output');
    await page.mouse.move(5, 5);
  });

  // The 50 ms goal is a speed goal, and a loaded 2-core CI machine doubles the figure (121.6 ms beside a
  // benchmark): the test prints it and fails only far beyond the goal, where something heavy (a compute back
  // end, a parser) was loaded at activation; bundle-contents.test.ts checks that structurally.
  it('logs its activation time, far under a second (goal 50 ms)', () => {
    const logs = findFiles(server.userData, /Robustness Lens\.log$/);
    const line = logs
      .map((f) => fs.readFileSync(f, 'utf8'))
      .join('\n')
      .match(/activated in ([\d.]+) ms/);
    assert.ok(line, `no activation time logged in ${logs.join(', ') || 'any log file'}`);
    const ms = Number(line[1]);
    console.log(`activation: ${ms} ms`);
    assert.ok(ms < 1000, `activation took ${ms} ms`);
  });
});
