import { compare, keyFigures, overfittingEpoch } from '../model/figures';
import { epsilon, duration, params, percent, points, signedParams, fixed } from '../model/format';
import { attackSetLabel, attacksOf, configRows, environmentRows, modelFacts, threatOf } from '../model/run-facts';
import type { ViewRun } from '../model/run-store';

/** Text from run files goes into table cells: keep it on one line and its pipes literal. */
function md(value: string): string {
  return value
    .replace(/\\/g, '\\\\')
    .replace(/\|/g, '\\|')
    .replace(/[\r\n]+/g, ' ')
    .replace(/</g, '&lt;');
}

function table(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  return [
    `| ${header.map(md).join(' | ')} |`,
    `|${header.map(() => ' --- ').join('|')}|`,
    ...rows.map((r) => `| ${r.map(md).join(' | ')} |`),
    '',
  ];
}

function runSection(run: ViewRun): string[] {
  const model = modelFacts(run);
  const threat = threatOf(run);
  const figures = keyFigures(run);
  const lines = [`## ${md(run.id)}`, ''];
  lines.push(`- Kind: ${run.kind}; state: ${run.state}${run.status ? `; status: ${run.status}` : ''}`);
  if (model.name !== undefined) lines.push(`- Model: ${md(model.name)}, ${params(model.params)} parameters`);
  if (threat) lines.push(`- Threat model: ${threat.norm}, \u03b5 = ${epsilon(threat.eps)}`);
  lines.push(
    `- Clean accuracy: ${percent(figures.clean)}; robust accuracy ` +
      `(${md(figures.robustLabel)}): ${percent(figures.robust)}`,
  );
  if (run.message) lines.push(`- Note: ${md(run.message)}`);
  lines.push('');
  if (run.evaluation) {
    const e = run.evaluation;
    lines.push(`### ${attackSetLabel(attacksOf(run))} breakdown (${e.samples} images)`, '');
    lines.push(
      ...table(
        ['Step', 'Accuracy', 'Seconds'],
        [
          ['Clean', percent(e.cleanAccuracy), ''],
          ...e.attacks.map((a) => [`after ${a.name}`, percent(a.robustAccuracy), fixed(a.seconds, 1)]),
        ],
      ),
    );
  }
  if (run.history.length > 0) {
    const co = overfittingEpoch(run.history, run.status);
    lines.push('### Training curves', '');
    lines.push(
      ...table(
        ['Epoch', 'Loss', 'Clean', 'FGSM', 'PGD', 'Time'],
        run.history.map((h) => [
          `${h.epoch}${h.epoch === co ? ' (catastrophic overfitting)' : ''}`,
          fixed(h.trainLoss, 4),
          percent(h.cleanAccuracy),
          percent(h.fgsmAccuracy),
          percent(h.pgdAccuracy),
          duration(h.seconds),
        ]),
      ),
    );
  }
  if (model.stages.length > 0) {
    lines.push(
      '### Parameters per stage',
      '',
      ...table(
        ['Stage', 'Parameters'],
        model.stages.map((s) => [s.name, params(s.params)]),
      ),
    );
  }
  const env = environmentRows(run);
  if (env.length > 0) lines.push('### Environment', '', ...table(['', ''], env));
  const config = configRows(run);
  if (config.length > 0) lines.push('### Configuration', '', ...table(['Setting', 'Value'], config));
  return lines;
}

/** A report of the selected runs: a comparison first when there are several, then each run. */
export function markdownReport(runs: readonly ViewRun[], generatedAt: string): string {
  const lines = ['# Robustness Lens report', '', `Generated ${generatedAt}.`, ''];
  const comparison = compare(runs, (r) => modelFacts(r).params);
  if (comparison) {
    lines.push('## Comparison', '', `Baseline: ${md(comparison.baseline.id)} (the oldest selected run).`, '');
    lines.push(
      ...table(
        ['Run', '\u03b5', 'Parameters', 'Clean', '\u0394 clean', 'Robust', '\u0394 robust', 'Measured by'],
        comparison.rows.map((r) => [
          r.run.id,
          epsilon(r.eps),
          params(r.params),
          percent(r.figures.clean),
          points(r.deltaClean),
          percent(r.figures.robust),
          points(r.deltaRobust),
          r.figures.robustLabel,
        ]),
      ),
    );
    for (const w of comparison.warnings) lines.push(`> ${md(w)}`, '');
    if (comparison.attacks.length > 0) {
      lines.push(
        ...table(
          ['Attack', ...comparison.rows.map((r) => r.run.id)],
          comparison.attacks.map((a) => [
            `after ${a.name}`,
            ...a.values.map((v, i) => (v === undefined ? 'n/a' : `${percent(v)} (${points(a.deltas[i])})`)),
          ]),
        ),
      );
    }
    lines.push(
      `Parameter differences: ` +
        `${comparison.rows.map((r) => `${md(r.run.id)} ${signedParams(r.deltaParams)}`).join(', ')}.`,
      '',
    );
  }
  for (const run of runs) lines.push(...runSection(run));
  return lines.join('\n');
}
