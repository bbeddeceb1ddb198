import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import type { Browser } from 'playwright-core';
import type { EvalWarning } from '../../src/engine/evaluate/eval-warnings';
import type { RunRecord } from '../../webview/src/results/protocol';
import { loadFixtureRuns } from './fixture-runs';
import { buildPage, CHROMIUM, launch, openPanel, type Bundle, type PanelPage } from './panel-page';

// An evaluation's over-reporting warnings sit above its figures in the results panel, one note
// each, and a fixture run recorded before the checks existed shows none.

const skip = fs.existsSync(CHROMIUM) ? false : `Debian's Chromium (${CHROMIUM}) is not installed`;

describe('results panel: over-reporting warnings (headless Chromium)', { skip }, () => {
  let browser: Browser;
  let bundle: Bundle;
  let panel: PanelPage;
  const runs = loadFixtureRuns();
  const evals = runs.filter((r) => r.result?.evaluation);

  before(async () => {
    [bundle, browser] = await Promise.all([buildPage(), launch()]);
    panel = await openPanel(browser, bundle);
  });

  after(async () => {
    await browser?.close();
    if (bundle) fs.rmSync(bundle.dir, { recursive: true, force: true });
  });

  it('shows each warning above the summary, and none for a run without them', async () => {
    const [warned, plain] = evals;
    assert.ok(warned?.result?.evaluation && plain, 'the fixtures hold two evaluations');
    const warnings: EvalWarning[] = [
      { code: 'untrained-weights', message: 'untrained weights: no --weights given', advice: 'train the model' },
      { code: 'black-box-beats-gradient', message: 'Square broke 3 images (3.0%)', advice: 'gradient masking' },
    ];
    const evaluation = { ...warned.result.evaluation, warnings };
    const withWarnings: RunRecord = { ...warned, result: { ...warned.result, evaluation } };
    await panel.send({ type: 'runs', runs: runs.map((r) => (r.id === warned.id ? withWarnings : r)) });
    await panel.page.click(`button[data-open="${warned.id}"]`);
    const notes = await panel.page.locator('p[data-warning]').evaluateAll((ps) =>
      ps.map((p) => ({
        code: (p as HTMLElement).dataset.warning,
        text: p.textContent,
      })),
    );
    assert.deepEqual(
      notes.map((n) => n.code),
      ['untrained-weights', 'black-box-beats-gradient'],
    );
    // The engine's words name CLI flags; the panel's name the editor's commands, capitalised.
    const untrained = /^Untrained weights: these figures describe a randomly initialised model\. Run "Train adv/;
    assert.match(notes[0]?.text ?? '', untrained);
    assert.doesNotMatch(notes[0]?.text ?? '', /--weights/);
    assert.equal(notes[1]?.text, 'Square broke 3 images (3.0%). Gradient masking.');
    const order = await panel.page.evaluate(() => {
      const first = document.querySelector('p[data-warning]');
      const summary = document.querySelector('p.summary');
      return first && summary ? first.compareDocumentPosition(summary) & Node.DOCUMENT_POSITION_FOLLOWING : 0;
    });
    assert.ok(order > 0, 'the warnings come before the summary');
    await panel.page.click(`button[data-open="${plain.id}"]`);
    assert.equal(await panel.page.locator('p[data-warning]').count(), 0);
  });
});
