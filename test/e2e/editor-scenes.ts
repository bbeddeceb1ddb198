import * as fs from 'node:fs';
import * as path from 'node:path';
import type { FrameLocator, Page } from 'playwright-core';
import { answerQuickInput, runCommandNamed, toast, waitFor } from './run-helpers';
import { clickAt, openFile, waitForLens } from './workbench';

// The editor scenes of issue #17 (fix-all on save, rule pages, the budget in settings and the
// breakdown panel, an untrained evaluation), shared by editor-calm.e2e.ts, which asserts on them,
// and scripts/screenshots/take-screenshots.ts, which photographs them for docs/screenshots.

/** torchvision's own resnet.py (Debian's python3-torchvision), as a user would copy it in. */
export const TORCHVISION_RESNET = '/usr/lib/python3/dist-packages/torchvision/models/resnet.py';
export const RESNET_FILE = 'torchvision_resnet.py';

/** The examples plus torchvision's resnet.py, in a folder under `out`. */
export function editorWorkspace(out: string): string {
  const dir = path.join(out, 'editor-calm-workspace-source');
  fs.rmSync(dir, { recursive: true, force: true });
  fs.cpSync(path.join(process.cwd(), 'examples'), dir, { recursive: true });
  fs.copyFileSync(TORCHVISION_RESNET, path.join(dir, RESNET_FILE));
  return dir;
}

/** User settings for the scenes: fix-all runs on an explicit save. */
export const EDITOR_SETTINGS: Record<string, unknown> = {
  'editor.codeActionsOnSave': { 'source.fixAll.robustnessLens': 'explicit' },
  'robustnessLens.evaluate.samples': 20,
};

export function webviewFrame(page: Page, index = 0): FrameLocator {
  return page.frameLocator('iframe.webview.ready').nth(index).frameLocator('#active-frame');
}

export async function problemsRows(page: Page): Promise<string[]> {
  return page.locator('.markers-panel .monaco-list-row').allInnerTexts();
}

/** Opens torchvision's resnet.py and waits for its warnings in the Problems panel. */
export async function openResnetWithWarnings(page: Page): Promise<void> {
  await openFile(page, RESNET_FILE);
  await goToLine(page, 83);
  await page.waitForSelector('.squiggly-warning', { timeout: 90_000 });
  await page.keyboard.press('Control+Shift+M');
  await waitFor(
    'RA011 in the Problems panel',
    async () => ((await problemsRows(page)).some((r) => r.includes('RA011')) ? true : undefined),
    60_000,
  );
  // Back to the editor, at the first block's activation.
  await page.keyboard.press('Control+1');
  await goToLine(page, 83);
}

/** Ctrl+G: the first block's activation (line 83 of torchvision's resnet.py) is where the warnings are. */
export async function goToLine(page: Page, line: number): Promise<void> {
  await page.keyboard.press('Control+G');
  await page.locator('.quick-input-box input:visible').first().waitFor({ timeout: 10_000 });
  await page.keyboard.type(String(line));
  await page.keyboard.press('Enter');
}

/** Saves the editor (Ctrl+S): editor.codeActionsOnSave applies fix-all, then the file is written. */
export async function saveWithFixAll(page: Page, workspace: string): Promise<string> {
  await page.keyboard.press('Control+1');
  await page.keyboard.press('Control+S');
  return waitFor(
    'the fixed file on disk',
    () => {
      const text = fs.readFileSync(path.join(workspace, RESNET_FILE), 'utf8');
      return text.includes('nn.SiLU(inplace=True)') ? text : undefined;
    },
    60_000,
  );
}

/** Clicks a code's link in the Problems panel (as a person does) and waits for its rendered page. */
export async function openRulePageFromProblems(page: Page, code: string): Promise<FrameLocator> {
  await page.keyboard.press('Control+Shift+M');
  // The code in a problem's row is a link (VS Code's Link widget around the code's label).
  const box = await waitFor(
    `a link on ${code} in the Problems panel`,
    () =>
      page.evaluate((wanted) => {
        const links = Array.from(document.querySelectorAll('.markers-panel a, .markers-panel .monaco-link'));
        const link = links.find((a) => a.textContent?.trim() === wanted && a.getBoundingClientRect().width > 0);
        const r = link?.getBoundingClientRect();
        return r ? { x: r.x + r.width / 2, y: r.y + r.height / 2 } : undefined;
      }, code),
    30_000,
  ).catch(async (error: unknown) => {
    const row = await page
      .locator('.markers-panel .monaco-list-row', { hasText: code })
      .first()
      .innerHTML()
      .catch(() => 'no row');
    throw new Error(`${(error as Error).message}; the row: ${row.slice(0, 1500)}`);
  });
  await page.mouse.click(box.x, box.y);
  await page.locator(`.tab[aria-label*="Preview ${code}.md"]`).first().waitFor({ timeout: 30_000 });
  const frame = webviewFrame(page);
  await frame.locator('h1', { hasText: code }).waitFor({ timeout: 30_000 });
  return frame;
}

/** Sets robustnessLens.budget by typing into the Settings UI, as a person does. */
export async function setBudgetInSettingsUi(page: Page, budget: string): Promise<void> {
  await runCommandNamed(page, 'Preferences: Open User Settings');
  await page.locator('.settings-editor .settings-header').first().waitFor({ timeout: 30_000 });
  // The Settings editor opens with its search box focused.
  await page.waitForTimeout(1_500);
  await page.keyboard.type('robustnessLens.budget');
  const input = page.locator('.settings-editor input[aria-label="robustnessLens.budget"]').first();
  await input.waitFor({ timeout: 30_000 });
  await input.fill(budget);
  await page.keyboard.press('Tab');
  // Written once the input settles; then the Settings editor is closed as a person would.
  await page.waitForTimeout(1_500);
  await page.keyboard.press('Escape');
  await page.keyboard.press('Control+W');
}

/** The 1-based line of `def <model>(` in torchvision's resnet.py. */
function factoryLine(model: string): number {
  const lines = fs.readFileSync(TORCHVISION_RESNET, 'utf8').split('\n');
  const index = lines.findIndex((l) => l.startsWith(`def ${model}(`));
  if (index < 0) throw new Error(`no def ${model} in ${TORCHVISION_RESNET}`);
  return index + 1;
}

/** Opens the breakdown panel from the model's code lens above its factory function. */
export async function openBreakdownFromLens(page: Page, model: string, lens: RegExp): Promise<FrameLocator> {
  await openFile(page, RESNET_FILE);
  // The lens sits above the model's factory (torchvision decorates `def resnet50` at line 702).
  const line = factoryLine(model);
  await goToLine(page, line);
  await waitForLens(page, lens, 60_000);
  // A settings change makes the editor ask for lenses again: one may be replaced while clicked.
  for (let attempt = 0; ; attempt++) {
    try {
      await clickAt(page, '.editor-group-container.active .codelens-decoration a', `${model}:`);
      break;
    } catch (error) {
      if (attempt >= 5) throw error;
      await page.waitForTimeout(1_000);
    }
  }
  const frame = webviewFrame(page);
  await frame.locator('h1', { hasText: model }).waitFor({ timeout: 30_000 });
  return frame;
}

/**
 * Evaluates mnist-small.arch.yaml from its lens with untrained weights and the quick attacks,
 * keeping the defaults elsewhere, and waits for the results panel's headline.
 */
export async function evaluateUntrained(page: Page): Promise<void> {
  await openFile(page, 'mnist-small.arch.yaml');
  await waitForLens(page, /Evaluate robustness/);
  await clickAt(page, '.codelens-decoration a', 'Evaluate robustness');
  for (let step = 0; step < 8; step++) {
    if (
      await toast(page, 'Evaluating MNIST-small')
        .isVisible()
        .catch(() => false)
    )
      break;
    const widget = page.locator('.quick-input-widget:visible');
    try {
      await widget.waitFor({ timeout: 10_000 });
    } catch {
      break;
    }
    const text = await widget.innerText();
    await answerQuickInput(page, '', /attack/i.test(text) ? 'Quick' : /weights/i.test(text) ? 'Random' : undefined);
  }
  await toast(page, /UNTRAINED weights/).waitFor({ timeout: 240_000 });
}
