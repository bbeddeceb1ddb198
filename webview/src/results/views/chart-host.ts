import '@vscode-elements/elements/dist/vscode-button/index.js';
import { pointCount, type ChartSpec } from '../charts/chart-spec';
import { renderChart, type RenderedChart } from '../charts/render-chart';
import { percent } from '../model/format';
import { el, table, type CellValue } from '../page/dom';
import { readTheme } from '../page/theme';

interface Slot {
  readonly spec: ChartSpec;
  readonly plot: HTMLElement;
  chart?: RenderedChart;
}

function dataTable(spec: ChartSpec): HTMLElement {
  const xText = (x: number, i: number): string => spec.categories?.[i] ?? (spec.formatX ? spec.formatX(x) : String(x));
  const rows = spec.x.map((x, i): CellValue[] => [
    xText(x, i),
    ...spec.series.map((s): CellValue => {
      const v = s.values[i];
      if (v === null || v === undefined) return '';
      return {
        text: spec.percent ? percent(v) : Number.isFinite(v) ? String(Number(v.toPrecision(5))) : 'n/a',
        value: v,
      };
    }),
  ]);
  const details = el('details', { className: 'chart-data' }, [el('summary', { text: 'Data table' })]);
  details.append(
    table(
      `${spec.title}: data`,
      [{ label: spec.xLabel }, ...spec.series.map((s) => ({ label: s.label, numeric: true }))],
      rows,
    ),
  );
  return details;
}

/**
 * The charts on screen. Views ask for a figure per chart while building the DOM; once it is in the
 * document (so each plot has a width), mount() draws them, and draws them again on a theme change
 * or resize, since uPlot takes its colours and size once, at creation.
 */
export class ChartHost {
  private slots: Slot[] = [];

  constructor(private readonly onPng: (chartId: string, dataUrl: string) => void) {}

  figure(spec: ChartSpec): HTMLElement {
    const plot = el('div', {
      className: 'plot',
      attrs: { role: 'img', 'aria-label': `${spec.title}. ${spec.summary}` },
    });
    const slot: Slot = { spec, plot };
    this.slots.push(slot);
    const button = el('vscode-button', {
      text: 'PNG',
      attrs: { secondary: '', 'data-export': 'png', 'aria-label': `Export the chart "${spec.title}" as PNG` },
    });
    button.addEventListener('click', () => {
      if (slot.chart) this.onPng(spec.id, slot.chart.toPng());
    });
    const caption = el('figcaption', {}, [el('span', { text: spec.title, className: 'chart-title' }), button]);
    return el(
      'figure',
      { className: 'chart', attrs: { 'data-chart': spec.id, 'data-points': String(pointCount(spec)) } },
      [caption, plot, dataTable(spec)],
    );
  }

  mount(): void {
    const theme = readTheme();
    for (const slot of this.slots) {
      slot.chart?.destroy();
      slot.plot.replaceChildren();
      if (!slot.plot.isConnected) continue;
      slot.chart = renderChart(slot.spec, theme, slot.plot, Math.max(280, Math.floor(slot.plot.clientWidth)));
    }
  }

  clear(): void {
    for (const slot of this.slots) slot.chart?.destroy();
    this.slots = [];
  }
}
