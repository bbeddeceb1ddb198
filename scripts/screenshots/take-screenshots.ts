import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Page } from 'playwright-core';
import { startCodeServer } from '../../test/e2e/code-server';
import {
  EDITOR_SETTINGS,
  editorWorkspace,
  evaluateUntrained,
  goToLine,
  openBreakdownFromLens,
  openResnetWithWarnings,
  problemsRows,
  saveWithFixAll,
  setBudgetInSettingsUi,
} from '../../test/e2e/editor-scenes';
import { runCommandNamed, waitFor } from '../../test/e2e/run-helpers';
import { openWorkbench, runCommand } from '../../test/e2e/workbench';

// `npm run screenshots`: the README's pictures, taken in a real VS Code (code-server with the
// built linux-x64 package installed, Debian's Chromium) by the e2e harness, dark and light:
// torchvision's resnet.py with its warnings, the same after fix-all on save, the breakdown panel
// with a budget set in the Settings UI, and an untrained-weights evaluation's headline.
const ROOT = process.cwd();
const OUT = path.join(ROOT, 'test-output', 'screenshots-run');
const SHOTS = path.join(ROOT, 'docs', 'screenshots');
/** Larger pictures do not belong in the repository. */
const MAX_BYTES = 400 * 1024;

async function setLight(page: Page, light: boolean): Promise<void> {
  const isLight = await page.evaluate(
    () => document.querySelector('.monaco-workbench')?.classList.contains('vs') ?? false,
  );
  if (isLight === light) return;
  await runCommand(page, 'Toggle between Light/Dark Themes');
  await page.waitForFunction(
    (want) => document.querySelector('.monaco-workbench')?.classList.contains('vs') === want,
    light,
    { timeout: 15_000 },
  );
}

/** The scene in both themes; the dark theme stays on afterwards. */
async function shoot(page: Page, name: string): Promise<void> {
  await page.mouse.move(1, 1);
  for (const theme of ['dark', 'light'] as const) {
    await setLight(page, theme === 'light');
    await page.waitForTimeout(1_500);
    const file = path.join(SHOTS, `${name}-${theme}.png`);
    await page.screenshot({ path: file });
    const bytes = fs.statSync(file).size;
    console.log(`${path.relative(ROOT, file)}: ${(bytes / 1024).toFixed(0)} KiB`);
    if (bytes > MAX_BYTES) throw new Error(`${file} is ${bytes} bytes, over ${MAX_BYTES}`);
  }
  await setLight(page, false);
}

async function main(): Promise<void> {
  fs.mkdirSync(SHOTS, { recursive: true });
  const server = await startCodeServer(path.join(OUT, 'run'), editorWorkspace(OUT), {
    'workbench.colorTheme': 'Default Dark Modern',
    // Light pictures in VS Code's own light theme.
    'workbench.preferredLightColorTheme': 'Default Light Modern',
    ...EDITOR_SETTINGS,
  });
  const { context, page } = await openWorkbench(server.url, server.workspace, path.join(OUT, 'chromium'));
  try {
    await openResnetWithWarnings(page);
    await shoot(page, 'torchvision-resnet-warnings');

    await saveWithFixAll(page, server.workspace);
    await waitFor(
      'RA011 to leave the Problems panel',
      async () => {
        const rows = await problemsRows(page);
        return rows.length > 0 && !rows.some((r) => r.includes('RA011')) ? true : undefined;
      },
      60_000,
    );
    await goToLine(page, 83);
    await shoot(page, 'torchvision-resnet-after-fix-all');

    await setBudgetInSettingsUi(page, '11M');
    await page.keyboard.press('Control+J');
    await openBreakdownFromLens(page, 'resnet50', /resnet50: .*25\.56M/);
    await shoot(page, 'breakdown-panel-budget');

    await runCommandNamed(page, 'View: Close All Editors');
    await evaluateUntrained(page);
    await runCommandNamed(page, 'Notifications: Clear All Notifications');
    await page.keyboard.press('Control+B');
    await shoot(page, 'untrained-evaluation-headline');
  } finally {
    await context.close();
    await server.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  process.exit(1);
});
