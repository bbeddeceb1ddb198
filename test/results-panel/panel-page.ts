import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as esbuild from 'esbuild';
import { chromium, type Browser, type Page } from 'playwright-core';
import { resultsPanelHtml } from '../../webview/src/results/panel-html';
import type { FromResultsPanel } from '../../webview/src/results/protocol';
import { repoPath } from '../helpers/paths';
import { THEMES, type ThemeName } from './themes';

// The results page on its own in Debian's Chromium: built with esbuild as the extension bundles
// it, served from a made-up origin (as VS Code serves webview resources) under the CSP that
// resultsPanelHtml writes, with a stub acquireVsCodeApi that records what the page posts.

export const CHROMIUM = '/usr/bin/chromium';
const ORIGIN = 'https://results-panel.test';

export interface Bundle {
  readonly dir: string;
  readonly html: string;
}

/** Bundles the page (as esbuild.js does for dist/results.js) into a temporary folder. */
export async function buildPage(): Promise<Bundle> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'results-panel-'));
  await esbuild.build({
    entryPoints: { results: repoPath('webview/src/results/main.ts') },
    bundle: true,
    outdir: dir,
    platform: 'browser',
    target: 'es2022',
    format: 'iife',
    minify: true,
    logLevel: 'silent',
  });
  const html = resultsPanelHtml({
    scriptUri: `${ORIGIN}/results.js`,
    styleUri: `${ORIGIN}/results.css`,
    cspSource: ORIGIN,
    nonce: 'dGVzdG5vbmNlMDEyMzQ1Njc4OQ',
  });
  return { dir, html };
}

export function launch(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
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
}

export interface PanelPage {
  readonly page: Page;
  /** console.warn and console.error texts the page logged. */
  readonly warnings: string[];
  /** Uncaught errors in the page. */
  readonly errors: string[];
  posted(): Promise<FromResultsPanel[]>;
  state(): Promise<unknown>;
  /** Sends a message as the extension would (webview.postMessage). */
  send(message: unknown): Promise<void>;
  theme(name: ThemeName): Promise<void>;
  /** CSP violations the page reported. */
  violations(): Promise<string[]>;
  close(): Promise<void>;
}

interface StubWindow {
  __posted: unknown[];
  __state: unknown;
  __violations: string[];
}

export async function openPanel(browser: Browser, bundle: Bundle, savedState?: unknown): Promise<PanelPage> {
  const context = await browser.newContext({ viewport: { width: 1100, height: 900 }, deviceScaleFactor: 1 });
  const page = await context.newPage();
  await page.route(`${ORIGIN}/**`, async (route) => {
    const name = new URL(route.request().url()).pathname.slice(1);
    if (name === 'index.html') return route.fulfill({ status: 200, contentType: 'text/html', body: bundle.html });
    const file = path.join(bundle.dir, name);
    if (!/^results\.(js|css)$/.test(name) || !fs.existsSync(file)) return route.fulfill({ status: 404, body: '' });
    return route.fulfill({
      status: 200,
      contentType: name.endsWith('.js') ? 'text/javascript' : 'text/css',
      body: fs.readFileSync(file),
    });
  });
  await page.addInitScript((initial) => {
    const w = window as unknown as StubWindow & { acquireVsCodeApi: () => unknown };
    w.__posted = [];
    w.__state = initial;
    w.__violations = [];
    document.addEventListener('securitypolicyviolation', (e) =>
      w.__violations.push(`${e.violatedDirective} ${e.blockedURI}`),
    );
    // Structured-clone what the page posts, as the real webview channel does.
    w.acquireVsCodeApi = () => ({
      postMessage: (m: unknown) => w.__posted.push(structuredClone(m)),
      getState: () => w.__state,
      setState: (s: unknown) => {
        w.__state = structuredClone(s);
      },
    });
  }, savedState ?? null);
  const warnings: string[] = [];
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'warning' || m.type() === 'error') warnings.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(`${ORIGIN}/index.html`);
  await page.waitForFunction(() => (window as unknown as StubWindow).__posted.length > 0);
  return {
    page,
    warnings,
    errors,
    posted: () => page.evaluate(() => (window as unknown as StubWindow).__posted as FromResultsPanel[]),
    state: () => page.evaluate(() => (window as unknown as StubWindow).__state),
    send: async (message) => {
      await page.evaluate((m) => window.postMessage(m, '*'), message);
      // Let the message event and the re-render run.
      await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0))));
    },
    theme: async (name) => {
      await page.evaluate(({ className, vars }) => {
        for (const [k, v] of Object.entries(vars)) document.documentElement.style.setProperty(k, v);
        document.body.classList.remove('vscode-dark', 'vscode-light', 'vscode-high-contrast');
        document.body.classList.add(className);
      }, THEMES[name]);
      await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))));
    },
    violations: () => page.evaluate(() => (window as unknown as StubWindow).__violations),
    close: () => context.close(),
  };
}
