import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { PNG } from 'pngjs';
import type { Browser } from 'playwright-core';
import type { EpochMetrics } from '../../src/engine/train/train-loop';
import { duration, percent, points } from '../../webview/src/results/model/format';
import { parseFromResultsPanel, type FromResultsPanel, type RunRecord } from '../../webview/src/results/protocol';
import { repoPath } from '../helpers/paths';
import { loadFixtureRuns } from './fixture-runs';
import { buildPage, CHROMIUM, launch, openPanel, type Bundle, type PanelPage } from './panel-page';

// The results panel's page in headless Chromium, fed the recorded fixture runs: every chart
// draws, the numbers on screen equal the run files, the comparison shows the right deltas, each
// export posts the right message, live messages update it, malformed ones are ignored, its state
// survives a reload, and nothing breaks the Content-Security-Policy.

const SHOTS = repoPath('test-output/results-panel');
const skip = fs.existsSync(CHROMIUM) ? false : `Debian's Chromium (${CHROMIUM}) is not installed`;
const AUTOATTACK = ['apgd-ce', 'apgd-t', 'fab-t', 'square'];

const runs = loadFixtureRuns();
const attacksOf = (r: RunRecord): string[] => r.result?.evaluation?.attacks.map((a) => a.name) ?? [];
const autoattack = runs.find((r) => attacksOf(r).join() === AUTOATTACK.join());
const trains = runs.filter((r) => r.kind === 'train');
const train = trains.find((r) => (r.result?.history?.length ?? 0) >= 2);

function last<T>(list: readonly T[]): T | undefined {
  return list[list.length - 1];
}

function lastExport(posted: FromResultsPanel[]): Extract<FromResultsPanel, { type: 'export' }> {
  const message = last(posted);
  assert.ok(
    message && message.type === 'export',
    `the last message posted is an export: ${JSON.stringify(message)?.slice(0, 200)}`,
  );
  // What the extension will do with it: its validator must accept it unchanged.
  assert.deepEqual(parseFromResultsPanel(message), message);
  return message;
}

function decodePng(dataUrl: string): PNG {
  return PNG.sync.read(Buffer.from(dataUrl.slice('data:image/png;base64,'.length), 'base64'));
}

/** How many distinct colours a PNG has: a blank or single-colour image has one or two. */
function colours(png: PNG): number {
  const seen = new Set<number>();
  for (let i = 0; i < png.data.length; i += 4 * 7) seen.add(png.data.readUInt32BE(i));
  return seen.size;
}

describe('results panel page (headless Chromium)', { skip }, () => {
  let browser: Browser;
  let bundle: Bundle;
  let panel: PanelPage;

  before(async () => {
    assert.ok(autoattack && train, 'the fixtures hold an AutoAttack evaluation and a training run');
    fs.mkdirSync(SHOTS, { recursive: true });
    [bundle, browser] = await Promise.all([buildPage(), launch()]);
    panel = await openPanel(browser, bundle);
    await panel.theme('dark');
  });

  after(async () => {
    await browser?.close();
    if (bundle) fs.rmSync(bundle.dir, { recursive: true, force: true });
  });

  it('says it is ready, then lists every run newest first', async () => {
    assert.deepEqual((await panel.posted())[0], { type: 'ready' });
    await panel.send({ type: 'runs', runs });
    const ids = await panel.page
      .locator('table.history tbody tr')
      .evaluateAll((rows) => rows.map((r) => (r as HTMLElement).dataset.run));
    assert.deepEqual(
      ids,
      runs.map((r) => r.id),
    );
  });

  it("shows an evaluation: the AutoAttack table equals the run's JSON and both charts draw", async () => {
    assert.ok(autoattack?.result?.evaluation);
    const e = autoattack.result.evaluation;
    await panel.page.click(`button[data-open="${autoattack.id}"]`);
    assert.deepEqual(last(await panel.posted()), { type: 'select', runIds: [autoattack.id] });
    const cells = await panel.page.locator('table.attacks tbody tr').evaluateAll((rows) =>
      rows.map((r) => {
        const td = (r as HTMLTableRowElement).cells;
        return { step: td[0]?.textContent, text: td[1]?.textContent, value: Number(td[1]?.dataset.value) };
      }),
    );
    assert.deepEqual(cells, [
      { step: 'Clean', text: percent(e.cleanAccuracy), value: e.cleanAccuracy },
      ...e.attacks.map((a) => ({ step: `after ${a.name}`, text: percent(a.robustAccuracy), value: a.robustAccuracy })),
    ]);
    await assertChartsDrawn(panel, ['attacks', 'epsilon']);
    assert.equal(
      await panel.page.getAttribute('figure[data-chart="attacks"]', 'data-points'),
      String(e.attacks.length + 1),
    );
    const epsPoints = Number(await panel.page.getAttribute('figure[data-chart="epsilon"]', 'data-points'));
    assert.ok(epsPoints >= 4, `the epsilon chart has the evaluations at several epsilons (${epsPoints} points)`);
    const params = (autoattack.config as { model: { params: number } }).model.params;
    assert.ok(((await panel.page.textContent('#model')) ?? '').includes(params.toLocaleString('en-US')));
    assert.ok(
      ((await panel.page.textContent('#environment')) ?? '').includes(
        (autoattack.environment as { backend: string }).backend,
      ),
    );
    await panel.page.screenshot({ path: `${SHOTS}/dark-evaluation.png`, fullPage: true });
  });

  it('exports the evaluation as CSV, JSON, Markdown and a PNG of each chart', async () => {
    assert.ok(autoattack?.result?.evaluation);
    const e = autoattack.result.evaluation;
    await panel.page.click('.toolbar vscode-button[data-export="csv"]');
    const csv = lastExport(await panel.posted());
    assert.equal(csv.format, 'csv');
    assert.equal(csv.chart, 'attacks');
    assert.deepEqual(csv.runIds, [autoattack.id]);
    const rows = (csv.content ?? '')
      .trim()
      .split('\r\n')
      .map((l) => l.split(','));
    assert.deepEqual(
      rows.slice(1).map((r) => [r[1], Number(r[2])]),
      [['clean', e.cleanAccuracy], ...e.attacks.map((a) => [a.name, a.robustAccuracy])],
    );

    await panel.page.click('.toolbar vscode-button[data-export="json"]');
    const json = lastExport(await panel.posted());
    const exported = JSON.parse(json.content ?? '') as Array<{ id: string; evaluation: unknown }>;
    assert.equal(exported[0]?.id, autoattack.id);
    assert.deepEqual(exported[0]?.evaluation, e);

    await panel.page.click('.toolbar vscode-button[data-export="markdown"]');
    const md = lastExport(await panel.posted());
    assert.equal(md.format, 'markdown');
    assert.match(md.content ?? '', /^# Robustness Lens report/);
    for (const a of e.attacks) assert.ok(md.content?.includes(`| after ${a.name} | ${percent(a.robustAccuracy)} |`));

    await assertPngExports(panel, [autoattack.id]);
  });

  it("shows a training run: loss and accuracy curves per epoch equal to the run's history", async () => {
    assert.ok(train?.result?.history);
    const history: readonly EpochMetrics[] = train.result.history;
    await panel.page.click(`button[data-open="${train.id}"]`);
    await assertChartsDrawn(panel, ['accuracy', 'loss']);
    assert.equal(
      await panel.page.getAttribute('figure[data-chart="accuracy"]', 'data-points'),
      String(history.length * 4),
    );
    assert.equal(
      await panel.page.getAttribute('figure[data-chart="loss"]', 'data-points'),
      String(history.filter((h) => Number.isFinite(h.trainLoss)).length),
    );
    const table = await panel.page.locator('table.epochs tbody tr').evaluateAll((rows) =>
      rows.map((r) =>
        Array.from((r as HTMLTableRowElement).cells)
          .slice(0, 5)
          .map((c) => Number(c.dataset.value)),
      ),
    );
    assert.deepEqual(
      table,
      history.map((h) => [h.epoch, h.trainLoss, h.cleanAccuracy, h.fgsmAccuracy, h.pgdAccuracy]),
    );
    await panel.page.click('.toolbar vscode-button[data-export="csv"]');
    const csv = lastExport(await panel.posted());
    assert.equal(csv.chart, 'curves');
    const rows = (csv.content ?? '')
      .trim()
      .split('\r\n')
      .slice(1)
      .map((l) => l.split(',').map(Number));
    assert.deepEqual(
      rows.map((r) => [r[0], r[1], r[3], r[4], r[5]]),
      history.map((h) => [h.epoch, h.trainLoss, h.cleanAccuracy, h.fgsmAccuracy, h.pgdAccuracy]),
    );
    await assertPngExports(panel, [train.id]);
    await panel.page.screenshot({ path: `${SHOTS}/dark-training.png`, fullPage: true });
  });

  it('marks catastrophic overfitting on the curves', async () => {
    // The recorded run's history with the status the engine gives a run it stopped for it.
    assert.ok(train?.result?.history);
    const stopped = {
      ...train,
      id: `${train.id}-co`,
      result: { ...train.result, runId: `${train.id}-co`, status: 'catastrophic-overfitting' as const },
    };
    await panel.send({ type: 'runs', runs: [stopped, ...runs] });
    await panel.page.click(`button[data-open="${stopped.id}"]`);
    const marked = await panel.page.getAttribute('[data-overfitting]', 'data-overfitting');
    assert.equal(marked, String(last(train.result.history)?.epoch));
    await assertChartsDrawn(panel, ['accuracy', 'loss']);
    await panel.page.locator('#training').screenshot({ path: `${SHOTS}/dark-overfitting.png` });
    await panel.send({ type: 'runs', runs });
  });

  it('compares two evaluations side by side with the accuracy deltas', async () => {
    const [newer, older] = comparablePair();
    await panel.page.click(`button[data-open="${older.id}"]`);
    await panel.page.click(`vscode-checkbox[data-run="${newer.id}"]`);
    assert.deepEqual(last(await panel.posted()), { type: 'select', runIds: [newer.id, older.id] });
    const rows = await panel.page
      .locator('table.comparison tbody tr')
      .evaluateAll((trs) =>
        trs.map((r) =>
          Array.from((r as HTMLTableRowElement).cells).map((c) => ({ text: c.textContent, value: c.dataset.value })),
        ),
      );
    assert.equal(rows.length, 2);
    const n = newer.result?.evaluation;
    const o = older.result?.evaluation;
    assert.ok(n && o);
    // Columns: run, model (kind), eps, params, clean, delta clean, robust, delta robust, measured by, delta params.
    assert.equal(rows[0]?.[0]?.text, newer.id);
    assert.equal(Number(rows[0]?.[5]?.value), n.cleanAccuracy - o.cleanAccuracy);
    assert.equal(rows[0]?.[5]?.text, points(n.cleanAccuracy - o.cleanAccuracy));
    assert.equal(Number(rows[0]?.[7]?.value), n.robustAccuracy - o.robustAccuracy);
    assert.equal(rows[0]?.[7]?.text, points(n.robustAccuracy - o.robustAccuracy));
    assert.equal(rows[1]?.[7]?.text, 'baseline');
    await assertChartsDrawn(panel, ['compare-attacks']);
    await panel.page.click('.toolbar vscode-button[data-export="csv"]');
    const csv = lastExport(await panel.posted());
    assert.equal(csv.chart, 'comparison');
    assert.deepEqual(csv.runIds, [newer.id, older.id]);
    assert.equal(Number(csv.content?.split('\r\n')[1]?.split(',')[9]), n.robustAccuracy - o.robustAccuracy);
    await assertPngExports(panel, [newer.id, older.id]);
    await panel.page.screenshot({ path: `${SHOTS}/dark-comparison.png`, fullPage: true });
  });

  it('follows a live run: progress with ETA, epochs appended to the charts, cancel, result', async () => {
    assert.ok(train?.result?.history);
    const id = '20991231-235959-train-live01';
    await panel.send({
      type: 'live',
      runId: id,
      message: {
        type: 'started',
        runId: id,
        runDir: `/tmp/runs/${id}`,
        backend: 'wasm',
        device: 'WebAssembly SIMD',
        notes: [],
      },
    });
    await panel.page.click(`button[data-open="${id}"]`);
    await panel.send({
      type: 'live',
      runId: id,
      message: { type: 'progress', phase: 'epoch 1/3', done: 10, total: 48, etaSeconds: 90, imagesPerSecond: 250 },
    });
    assert.equal(await panel.page.getAttribute(`[data-progress="${id}"]`, 'data-done'), '10');
    assert.ok(
      (await panel.page.textContent(`[data-progress="${id}"] .progress-text`))?.includes(`ETA ${duration(90)}`),
    );
    const [first, second] = train.result.history;
    assert.ok(first && second);
    await panel.send({ type: 'live', runId: id, message: { type: 'metric', epoch: first } });
    assert.equal(await panel.page.getAttribute('figure[data-chart="accuracy"]', 'data-points'), '4');
    await panel.send({ type: 'live', runId: id, message: { type: 'metric', epoch: second } });
    assert.equal(await panel.page.getAttribute('figure[data-chart="accuracy"]', 'data-points'), '8');
    assert.equal(await panel.page.locator('table.epochs tbody tr').count(), 2);
    await assertChartsDrawn(panel, ['accuracy', 'loss']);
    await panel.page.click(`[data-progress="${id}"] vscode-button[data-action="cancel"]`);
    assert.deepEqual(last(await panel.posted()), { type: 'cancel', runId: id });
    await panel.send({
      type: 'live',
      runId: id,
      message: {
        type: 'result',
        result: {
          runId: id,
          runDir: `/tmp/runs/${id}`,
          kind: 'train',
          status: 'cancelled',
          history: [first, second],
          message: 'cancelled during epoch 3',
        },
      },
    });
    assert.equal(await panel.page.locator(`[data-progress="${id}"]`).count(), 0);
    assert.ok((await panel.page.textContent('.run-header .badge'))?.includes('cancelled'));
    await panel.send({ type: 'runs', runs });
  });

  it('ignores malformed messages, logs them, and keeps working', async () => {
    assert.ok(autoattack);
    await panel.page.click(`button[data-open="${autoattack.id}"]`);
    const before = await panel.page.textContent('table.attacks');
    const warned = panel.warnings.length;
    const bad: unknown[] = [
      null,
      'runs',
      { type: 'runs' },
      { type: 'runs', runs: [{ id: '../x' }] },
      { type: 'live', runId: autoattack.id, message: { type: 'progress', phase: 'x', done: 9, total: 1 } },
      { type: 'select', runIds: ['<img src=x onerror=alert(1)>'] },
      { type: 'eval', runs },
    ];
    for (const message of bad) await panel.send(message);
    assert.equal(panel.warnings.length - warned, bad.length, panel.warnings.slice(warned).join('\n'));
    assert.ok(panel.warnings.slice(warned).every((w) => w.includes('ignored a malformed message')));
    assert.equal(await panel.page.textContent('table.attacks'), before);
    assert.equal(await panel.page.locator('img').count(), 0);
    await panel.send({ type: 'select', runIds: [autoattack.id] });
    assert.equal(await panel.page.textContent('table.attacks'), before);
    assert.deepEqual(panel.errors, []);
  });

  it('restores the selection and scroll position after a reload', async () => {
    const [newer, older] = comparablePair();
    await panel.send({ type: 'select', runIds: [newer.id, older.id] });
    const target = await panel.page.evaluate(() =>
      Math.min(300, document.documentElement.scrollHeight - window.innerHeight),
    );
    assert.ok(target > 50, 'the comparison is taller than the window');
    await panel.page.evaluate((y) => window.scrollTo(0, y), target);
    await panel.page.waitForFunction(
      (y) => (window as unknown as { __state?: { scrollY?: number } }).__state?.scrollY === y,
      target,
    );
    const saved = await panel.state();
    assert.deepEqual((saved as { selected: string[] }).selected, [newer.id, older.id]);
    const reopened = await openPanel(browser, bundle, saved);
    try {
      await reopened.theme('dark');
      await reopened.send({ type: 'runs', runs });
      assert.equal(await reopened.page.locator('table.comparison tbody tr').count(), 2);
      // The first page also lists the live run of an earlier test, so it may scroll a little further.
      const max = await reopened.page.evaluate(() => document.documentElement.scrollHeight - window.innerHeight);
      assert.equal(await reopened.page.evaluate(() => window.scrollY), Math.min(target, max));
    } finally {
      await reopened.close();
    }
  });

  it('re-reads the theme colours when the theme changes (light screenshots)', async () => {
    assert.ok(autoattack && train);
    await panel.page.click(`button[data-open="${autoattack.id}"]`);
    const darkPng = decodePng(await chartPng(panel, 'attacks'));
    assert.deepEqual([...darkPng.data.subarray(0, 3)], [0x1f, 0x1f, 0x1f], 'the dark editor background');
    await panel.theme('light');
    const lightPng = decodePng(await chartPng(panel, 'attacks'));
    assert.deepEqual([...lightPng.data.subarray(0, 3)], [0xff, 0xff, 0xff], 'the light editor background');
    await assertChartsDrawn(panel, ['attacks', 'epsilon']);
    await panel.page.screenshot({ path: `${SHOTS}/light-evaluation.png`, fullPage: true });
    await panel.page.click(`button[data-open="${train.id}"]`);
    await panel.page.screenshot({ path: `${SHOTS}/light-training.png`, fullPage: true });
    const [newer, older] = comparablePair();
    await panel.send({ type: 'select', runIds: [newer.id, older.id] });
    await panel.page.screenshot({ path: `${SHOTS}/light-comparison.png`, fullPage: true });
  });

  it('runs without any Content-Security-Policy violation or page error', async () => {
    assert.deepEqual(await panel.violations(), []);
    assert.deepEqual(panel.errors, []);
  });
});

/** Two evaluations with the same attacks and epsilon of different weights, newest first. */
function comparablePair(): [RunRecord, RunRecord] {
  const evals = runs.filter((r) => r.result?.evaluation);
  for (const a of evals) {
    for (const b of evals) {
      const ea = a.result?.evaluation;
      const eb = b.result?.evaluation;
      const wa = (a.config as { model: { weights: string | null } }).model.weights;
      const wb = (b.config as { model: { weights: string | null } }).model.weights;
      if (
        a.id > b.id &&
        ea &&
        eb &&
        wa !== wb &&
        ea.threat.eps === eb.threat.eps &&
        attacksOf(a).join() === attacksOf(b).join()
      )
        return [a, b];
    }
  }
  throw new Error('the fixtures need two evaluations of different weights with the same attacks and epsilon');
}

async function assertChartsDrawn(panel: PanelPage, ids: readonly string[]): Promise<void> {
  for (const id of ids) {
    const figure = panel.page.locator(`figure[data-chart="${id}"]`);
    assert.equal(await figure.count(), 1, `chart ${id} is shown`);
    assert.ok(Number(await figure.getAttribute('data-points')) > 0, `chart ${id} has data`);
    // Something is drawn: the plot canvas has more than a couple of colours.
    const drawn = await figure
      .locator('canvas')
      .first()
      .evaluate((c) => {
        const canvas = c as HTMLCanvasElement;
        const data = canvas.getContext('2d')?.getImageData(0, 0, canvas.width, canvas.height).data;
        const seen = new Set<number>();
        for (let i = 0; data && i < data.length; i += 4 * 5)
          seen.add((data[i]! << 24) | (data[i + 1]! << 16) | (data[i + 2]! << 8) | data[i + 3]!);
        return { width: canvas.width, height: canvas.height, colours: seen.size };
      });
    assert.ok(
      drawn.width > 200 && drawn.height > 100 && drawn.colours > 3,
      `chart ${id} drew on its canvas: ${JSON.stringify(drawn)}`,
    );
    // Its accessible alternative: a label and a data table with a row per x value.
    assert.ok((await figure.locator('.plot[role="img"]').getAttribute('aria-label'))?.length);
    assert.ok((await figure.locator('details.chart-data table tbody tr').count()) > 0);
  }
}

async function chartPng(panel: PanelPage, id: string): Promise<string> {
  await panel.page.click(`figure[data-chart="${id}"] vscode-button[data-export="png"]`);
  const message = lastExport(await panel.posted());
  assert.equal(message.format, 'png');
  assert.equal(message.chart, id);
  return message.pngDataUrl ?? '';
}

async function assertPngExports(panel: PanelPage, runIds: readonly string[]): Promise<void> {
  const ids = await panel.page
    .locator('figure[data-chart]')
    .evaluateAll((fs) => fs.map((f) => (f as HTMLElement).dataset.chart ?? ''));
  assert.ok(ids.length > 0);
  for (const id of ids) {
    const png = decodePng(await chartPng(panel, id));
    assert.deepEqual(lastExportIds(await panel.posted()), runIds);
    assert.ok(png.width > 200 && png.height > 150 && colours(png) > 3, `the PNG of ${id} has a drawn chart`);
  }
}

function lastExportIds(posted: FromResultsPanel[]): readonly string[] {
  const m = last(posted);
  return m?.type === 'export' ? m.runIds : [];
}
