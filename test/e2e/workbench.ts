import * as fs from 'node:fs';
import * as path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

/** Debian's Chromium driven by playwright-core (no browser download). */
export async function openWorkbench(
  url: string,
  folder: string,
  profileDir: string,
  colorScheme: 'dark' | 'light' = 'dark',
): Promise<{ context: BrowserContext; page: Page }> {
  fs.rmSync(profileDir, { recursive: true, force: true });
  const context = await chromium.launchPersistentContext(profileDir, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    viewport: { width: 1500, height: 950 },
    colorScheme,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  const page = context.pages()[0] ?? (await context.newPage());
  await page.goto(`${url}/?folder=${encodeURIComponent(folder)}`);
  await page.waitForSelector('.monaco-workbench', { timeout: 60_000 });
  return { context, page };
}

export async function runCommand(page: Page, title: string): Promise<void> {
  await page.keyboard.press('Control+Shift+P');
  await page.locator('.quick-input-box input:visible').first().waitFor({ timeout: 10_000 });
  await page.keyboard.type(`>${title}`);
  await page.waitForTimeout(400);
  await page.keyboard.press('Enter');
}

export async function openFile(page: Page, relative: string): Promise<void> {
  const name = path.basename(relative);
  // Right after start-up the file index may still be building: try Quick Open until it lists the file.
  for (let attempt = 0; attempt < 6; attempt++) {
    await page.keyboard.press('Escape');
    await page.keyboard.press('Control+P');
    try {
      await page.locator('.quick-input-box input:visible').first().waitFor({ timeout: 5_000 });
    } catch {
      continue;
    }
    await page.keyboard.type(relative);
    const row = page.locator('.quick-input-list .monaco-list-row', { hasText: name }).first();
    try {
      await row.waitFor({ timeout: 5_000 });
    } catch {
      continue;
    }
    await page.keyboard.press('Enter');
    await page.waitForSelector(`.editor-group-container.active .tab.active[aria-label*="${name}"]`, {
      timeout: 15_000,
    });
    // Keys typed next must reach this editor, not the one (or the webview) that had focus before.
    await page.waitForFunction(
      () => document.activeElement?.closest('.editor-group-container.active .monaco-editor') != null,
      undefined,
      { timeout: 15_000 },
    );
    return;
  }
  throw new Error(`Quick Open never listed ${relative}`);
}

/** The text a person sees in the editor (inlay hints use non-breaking spaces). */
export async function editorText(page: Page): Promise<string> {
  const active = page.locator('.editor-group-container.active .editor-instance .view-lines');
  const lines = (await active.count()) > 0 ? active.first() : page.locator('.editor-instance .view-lines').first();
  return (await lines.innerText()).replace(/\u00a0/g, ' ');
}

/** Waits until the editor shows text matching `pattern` (diagnostics and hints arrive asynchronously). */
export async function waitForEditorText(page: Page, pattern: RegExp, timeoutMs = 30_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let text = '';
  while (Date.now() < deadline) {
    text = await editorText(page);
    if (pattern.test(text)) return text;
    await page.waitForTimeout(300);
  }
  throw new Error(`the editor never showed ${pattern}; it shows:\n${text}`);
}

/**
 * Waits until the code lenses on screen show text matching `pattern`; `reveal` (pressing a key
 * that scrolls, say) is repeated on each poll, as a person would press it again.
 */
export async function waitForLens(
  page: Page,
  pattern: RegExp,
  timeoutMs = 60_000,
  reveal?: () => Promise<void>,
): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let text = '';
  while (Date.now() < deadline) {
    if (reveal) await reveal();
    text = (await page.locator('.editor-group-container.active .codelens-decoration').allInnerTexts())
      .join(' | ')
      .replace(/\u00a0/g, ' ');
    if (pattern.test(text)) return text;
    await page.waitForTimeout(300);
  }
  throw new Error(`no code lens showed ${pattern}; lenses: ${text}`);
}

/**
 * Clicks where a person would: at the element's position (overlays intercept locator clicks). Code
 * lenses are re-rendered after every edit, so an element found a moment ago may have been replaced:
 * look it up again until it has a box on screen.
 */
export async function clickAt(page: Page, selector: string, hasText: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const target = page.locator(selector, { hasText }).first();
    await target.waitFor({ state: 'visible', timeout: Math.max(1, deadline - Date.now()) });
    const box = await target.boundingBox();
    if (box && box.width > 0 && box.height > 0) {
      await page.mouse.click(box.x + Math.min(20, box.width / 2), box.y + box.height / 2);
      return;
    }
    if (Date.now() > deadline) throw new Error(`${selector} "${hasText}" is not on screen`);
    await page.waitForTimeout(200);
  }
}

/** Picks the entry of the open quick-fix menu whose text contains `text`, with the keyboard. */
export async function chooseAction(page: Page, text: string): Promise<void> {
  const rows = page.locator('.action-widget .monaco-list-row');
  await rows.first().waitFor({ timeout: 15_000 });
  const labels = await rows.evaluateAll((els) => els.map((e) => e.getAttribute('aria-label') ?? e.textContent ?? ''));
  const index = labels.findIndex((l) => l.includes(text));
  if (index < 0) throw new Error(`no quick fix "${text}" among: ${labels.join(' | ')}`);
  const focused = await rows.evaluateAll((els) => els.findIndex((e) => e.classList.contains('focused')));
  for (let i = Math.max(0, focused); i < index; i++) await page.keyboard.press('ArrowDown');
  await page.keyboard.press('Enter');
}

export async function problemRows(page: Page): Promise<string[]> {
  await page.waitForSelector('.markers-panel .monaco-list-row', { timeout: 30_000 });
  return page.locator('.markers-panel .monaco-list-row').allInnerTexts();
}

export async function screenshot(page: Page, outDir: string, name: string): Promise<string> {
  fs.mkdirSync(outDir, { recursive: true });
  const file = path.join(outDir, `${name}.png`);
  await page.screenshot({ path: file });
  return file;
}
