import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import type { CodeLens } from 'vscode-languageserver/node';
import { parseCount } from '../../src/core/util/parse-count';
import { Analyzer } from '../../src/server/document-analysis';
import { codeLensesOf, paramsReportsOf } from '../../src/server/document-views';
import { parseSettings } from '../../src/server/settings';
import { repoPath } from '../helpers/paths';
import { usePythonParser } from '../helpers/python';

interface SettingSchema {
  type: string;
  pattern: string;
}

function budgetSetting(): SettingSchema {
  const manifest = JSON.parse(fs.readFileSync(repoPath('package.json'), 'utf8')) as {
    contributes: { configuration: { properties: Record<string, SettingSchema> } };
  };
  const setting = manifest.contributes.configuration.properties['robustnessLens.budget'];
  assert.ok(setting);
  return setting;
}

describe('robustnessLens.budget: one source of truth', () => {
  usePythonParser();

  it('is a plain string setting (editable in the Settings UI) whose pattern accepts what the server reads', () => {
    const setting = budgetSetting();
    assert.equal(setting.type, 'string');
    const pattern = new RegExp(setting.pattern);
    for (const text of ['11M', '11.2M', '500k', '26000000', ' 26M ', '2.5G', '26,000,000']) {
      assert.ok(pattern.test(text), `${text} matches`);
      assert.equal(parseSettings({ budget: text }).budget, parseCount(text), text);
      assert.ok((parseSettings({ budget: text }).budget ?? 0) > 0, `${text} is read`);
    }
    for (const text of ['11 MB', 'eleven', '-5M', '1e6']) {
      assert.ok(!pattern.test(text), `${text} is refused by the Settings UI`);
      assert.equal(parseSettings({ budget: text }).budget, undefined, `${text} is not read`);
    }
    assert.ok(pattern.test(''), 'empty means no budget from the settings');
    assert.equal(parseSettings({ budget: '' }).budget, undefined);
    // The form settings.json held before: a number, or null.
    assert.equal(parseSettings({ budget: 11_000_000 }).budget, 11_000_000);
    assert.equal(parseSettings({ budget: null }).budget, undefined);
    assert.equal(parseSettings({ budget: '11.2M' }).budget, 11_200_000);
  });

  it('the breakdown panel reports the budget the lens shows, for every model of a multi-model file', () => {
    const file = repoPath('examples/pytorch/resnet.py');
    const text = fs.readFileSync(file, 'utf8');
    const analyzer = new Analyzer(() => parseSettings({ budget: '11M' }));
    const analysis = analyzer.analyse('file:///resnet.py', file, text, 1, false);
    const reports = paramsReportsOf(analysis);
    assert.deepEqual(reports.map((r) => r.name).sort(), ['resnet18', 'resnet50']);
    const lenses = codeLensesOf('file:///resnet.py', analysis).map((l: CodeLens) => l.command?.title ?? '');
    for (const report of reports) {
      assert.equal(report.budget?.params, 11_000_000, report.name);
      const lens = lenses.find((t) => t.startsWith(`${report.name}:`));
      const over = /\(([+-][\d.]+)%\)/.exec(lens ?? '')?.[1];
      assert.ok(over, `the lens of ${report.name} shows the budget: ${lens ?? 'none'}`);
      assert.equal((100 * ((report.budget?.used ?? 0) - 1)).toFixed(1), Number(over).toFixed(1), report.name);
    }
    const resnet50 = reports.find((r) => r.name === 'resnet50');
    assert.ok(resnet50 && resnet50.budget && resnet50.budget.used > 2.3, 'ResNet-50 is 232% of 11M');
  });

  it("without a setting, the panel falls back to the file's own budget as the lens does", () => {
    const file = repoPath('examples/resnet50.arch.yaml');
    const text = fs.readFileSync(file, 'utf8');
    const analysis = new Analyzer(() => parseSettings({})).analyse('file:///r.arch.yaml', file, text, 1, false);
    const [report] = paramsReportsOf(analysis);
    assert.equal(report?.budget?.params, analysis.budgets[0]);
    assert.ok(report?.budget, 'the spec states a budget');
  });
});
