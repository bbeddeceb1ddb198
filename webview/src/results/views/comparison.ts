import { compareAttacksChart, compareCurvesChart } from '../charts/run-charts';
import type { Comparison } from '../model/figures';
import { epsilon, params, percent, points, signedParams } from '../model/format';
import { modelFacts } from '../model/run-facts';
import type { ExportFormat } from '../protocol';
import { el, section, table, type CellValue } from '../page/dom';
import type { ChartHost } from './chart-host';
import { exportToolbar } from './exports';

function deltaCell(value: number | undefined, isBaseline: boolean): CellValue {
  if (isBaseline) return { text: 'baseline', className: 'muted' };
  if (value === undefined) return 'n/a';
  // Direction matters more than colour: the sign is in the text; colour only repeats it.
  return { text: points(value), value, className: value > 0.0005 ? 'better' : value < -0.0005 ? 'worse' : '' };
}

/** Two or more runs side by side, with accuracy deltas from the oldest (the baseline). */
export function comparisonView(
  comparison: Comparison,
  charts: ChartHost,
  onExport: (format: Exclude<ExportFormat, 'png'>) => void,
): HTMLElement {
  const { baseline, rows } = comparison;
  const children: HTMLElement[] = [
    el('p', {
      className: 'summary',
      text: `Comparing ${rows.length} runs against the oldest, ${baseline.id}. Deltas are in percentage points.`,
    }),
    exportToolbar('the comparison table as CSV', onExport),
  ];
  for (const w of comparison.warnings) children.push(el('p', { className: 'note', attrs: { role: 'note' }, text: w }));
  children.push(
    table(
      'Accuracy by run, against the baseline',
      [
        { label: 'Run' },
        { label: 'Model' },
        { label: '\u03b5' },
        { label: 'Parameters', numeric: true },
        { label: 'Clean', numeric: true },
        { label: '\u0394 clean', numeric: true },
        { label: 'Robust', numeric: true },
        { label: '\u0394 robust', numeric: true },
        { label: 'Measured by' },
        { label: '\u0394 parameters', numeric: true },
      ],
      rows.map((r) => {
        const isBase = r.run === baseline;
        return [
          r.run.id,
          `${modelFacts(r.run).name ?? '?'} (${r.run.kind})`,
          epsilon(r.eps),
          { text: params(r.params), ...(r.params !== undefined ? { value: r.params } : {}) },
          { text: percent(r.figures.clean), ...(r.figures.clean !== undefined ? { value: r.figures.clean } : {}) },
          deltaCell(r.deltaClean, isBase),
          { text: percent(r.figures.robust), ...(r.figures.robust !== undefined ? { value: r.figures.robust } : {}) },
          deltaCell(r.deltaRobust, isBase),
          r.figures.robustLabel,
          isBase ? { text: 'baseline', className: 'muted' } : signedParams(r.deltaParams),
        ];
      }),
      'data comparison',
    ),
  );
  if (comparison.attacks.length > 0 && rows.filter((r) => r.run.evaluation).length >= 2) {
    children.push(
      table(
        'Accuracy after each attack, per run',
        [{ label: 'Attack' }, ...rows.map((r) => ({ label: r.run.id, numeric: true }))],
        comparison.attacks.map((a) => [
          `after ${a.name}`,
          ...a.values.map((v, i): CellValue => {
            if (v === undefined) return 'n/a';
            const d = a.deltas[i];
            return {
              text: i === rows.length - 1 || d === undefined ? percent(v) : `${percent(v)} (${points(d)})`,
              value: v,
            };
          }),
        ]),
        'data compare-attacks',
      ),
    );
  }
  const attackChart = compareAttacksChart(comparison);
  if (attackChart) children.push(charts.figure(attackChart));
  const curves = compareCurvesChart(comparison);
  if (curves) children.push(charts.figure(curves));
  return section('Comparison', 'comparison', children);
}
