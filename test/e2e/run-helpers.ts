import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Frame, Page } from 'playwright-core';

/** Answers one step of a quick pick or input box, once the step whose title holds `title` (any, when empty) is up. */
export async function answerQuickInput(page: Page, title: string, typed?: string): Promise<void> {
  const widget = title
    ? page.locator('.quick-input-widget:visible', { hasText: title })
    : page.locator('.quick-input-widget:visible');
  await widget.waitFor({ timeout: 20_000 });
  if (typed) await page.keyboard.type(typed);
  // The list filters as one types: let it settle before Enter picks its first row.
  await page.waitForTimeout(300);
  await page.keyboard.press('Enter');
  await widget.waitFor({ state: 'hidden', timeout: 10_000 }).catch(() => undefined);
}

/** The notification toast whose text matches. */
export function toast(page: Page, text: string | RegExp) {
  return page.locator('.notifications-toasts .notification-toast', { hasText: text }).first();
}

export async function waitFor<T>(
  what: string,
  probe: () => T | undefined | Promise<T | undefined>,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** The run folders of a workspace whose id holds `kind`, newest last. */
export function runFolders(workspace: string, kind: 'train' | 'eval'): string[] {
  const root = path.join(workspace, '.robustness-lens', 'runs');
  if (!fs.existsSync(root)) return [];
  return fs
    .readdirSync(root)
    .filter((d) => d.includes(`-${kind}-`))
    .sort()
    .map((d) => path.join(root, d));
}

export function readJson<T>(file: string): T | undefined {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

/** What the extension wrote to its output channel (VS Code keeps it as a log file). */
export function outputLog(userData: string): string {
  const files = (fs.readdirSync(userData, { recursive: true }) as string[])
    .map(String)
    .filter((f) => f.endsWith('Robustness Lens.log'));
  return files.map((f) => fs.readFileSync(path.join(userData, f), 'utf8')).join('\n');
}

/**
 * The webview's host frame (VS Code's index.html around the page). A message posted through it
 * reaches the extension exactly as one the page sends with acquireVsCodeApi().postMessage, which
 * the page allows only once per load and keeps to itself.
 */
export async function webviewHostFrame(page: Page): Promise<Frame> {
  const handle = await page.locator('iframe.webview.ready').first().elementHandle({ timeout: 30_000 });
  const frame = await handle?.contentFrame();
  if (!frame) throw new Error('no webview frame');
  return frame;
}

export async function postFromWebview(page: Page, message: unknown): Promise<void> {
  const frame = await webviewHostFrame(page);
  await frame.evaluate((m) => {
    const post = (window as unknown as Record<string, (command: string, data: unknown) => void>)
      .__vscode_post_message__;
    if (!post) throw new Error('VS Code changed how webviews post messages');
    post('onmessage', { message: m, transfer: [] });
  }, message);
}

/**
 * Runs the palette command titled exactly `title`, moving to its row first: the palette may put
 * a "similar command" above it, and Enter while the list still filters runs a neighbour.
 */
export async function runCommandNamed(page: Page, title: string): Promise<void> {
  await page.keyboard.press('Control+Shift+P');
  await page.locator('.quick-input-box input:visible').first().waitFor({ timeout: 10_000 });
  await page.keyboard.type(`>${title}`);
  const rows = page.locator('.quick-input-list .monaco-list-row');
  const labels = (): Promise<string[]> =>
    rows.evaluateAll((els) =>
      els.map((e) => `${e.classList.contains('focused') ? '*' : ''}${e.getAttribute('aria-label') ?? ''}`),
    );
  const isTitle = (label: string): boolean =>
    label.replace(/^\*/, '') === title || label.replace(/^\*/, '').startsWith(`${title},`);
  const listed = await waitFor(
    `"${title}" in the palette`,
    async () => {
      const current = await labels();
      return current.some(isTitle) ? current : undefined;
    },
    10_000,
  );
  const target = listed.findIndex(isTitle);
  const focused = Math.max(
    0,
    listed.findIndex((l) => l.startsWith('*')),
  );
  for (let i = focused; i < target; i++) await page.keyboard.press('ArrowDown');
  await page.keyboard.press('Enter');
}
