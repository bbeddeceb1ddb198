import { params } from '../model/format';
import { configRows, environmentRows, modelFacts } from '../model/run-facts';
import type { ViewRun } from '../model/run-store';
import { el, facts, section, table } from '../page/dom';

/** The model's size (and per-stage breakdown when recorded), the environment and the configuration. */
export function factSections(run: ViewRun): HTMLElement[] {
  const model = modelFacts(run);
  const rows: [string, string][] = [];
  if (model.name !== undefined) rows.push(['Model', model.name]);
  rows.push(['Parameters', params(model.params)]);
  if (model.budget !== undefined && model.params !== undefined)
    rows.push(['Budget', `${params(model.budget)} (${((100 * model.params) / model.budget).toFixed(1)}% used)`]);
  if (model.file !== undefined) rows.push(['File', model.file]);
  if (model.weights !== undefined) rows.push(['Weights', model.weights ?? 'untrained (random initial weights)']);
  const modelChildren: HTMLElement[] = [facts(rows)];
  if (model.stages.length > 0) {
    const total = model.stages.reduce((s, x) => s + x.params, 0);
    modelChildren.push(
      table(
        'Parameters per stage',
        [{ label: 'Stage' }, { label: 'Parameters', numeric: true }, { label: 'Share', numeric: true }],
        model.stages.map((s) => [
          s.name,
          { text: params(s.params), value: s.params },
          total > 0 ? `${((100 * s.params) / total).toFixed(1)}%` : 'n/a',
        ]),
      ),
    );
  }
  const env = environmentRows(run);
  const config = configRows(run);
  return [
    section('Model', 'model', modelChildren),
    section('Environment', 'environment', [
      env.length > 0 ? facts(env) : el('p', { className: 'muted', text: 'Not recorded yet.' }),
    ]),
    section('Configuration', 'configuration', [
      config.length > 0 ? facts(config) : el('p', { className: 'muted', text: 'Not recorded yet.' }),
    ]),
  ];
}
