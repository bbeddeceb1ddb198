import uPlot from 'uplot';
import { percent } from '../model/format';
import type { ChartTheme } from '../page/theme';
import type { ChartSpec } from './chart-spec';
import { chartPng } from './chart-png';

export interface RenderedChart {
  readonly spec: ChartSpec;
  /** The chart with its title and legend as a PNG data: URL. */
  toPng(): string;
  destroy(): void;
}

/** Series are told apart by dash pattern as well as colour, for colour-blind readers and print. */
const DASHES: number[][] = [[], [8, 4], [2, 3], [10, 3, 2, 3], [5, 5], [1, 6]];

function color(theme: ChartTheme, i: number): string {
  return theme.palette[i % theme.palette.length] ?? theme.foreground;
}

function tickValues(spec: ChartSpec): (u: uPlot, splits: number[]) => string[] {
  if (spec.categories) {
    const categories = spec.categories;
    return (_u, splits) => splits.map((s) => (Number.isInteger(s) ? (categories[s] ?? '') : ''));
  }
  if (spec.integerX) return (_u, splits) => splits.map((s) => (Number.isInteger(s) ? String(s) : ''));
  return (_u, splits) => splits.map((s) => String(Number(s.toPrecision(3))));
}

/** Whole-number ticks (epochs), at most about ten, so no grid line falls between two epochs. */
function integerSplits(_u: uPlot, _axis: number, min: number, max: number): number[] {
  const step = Math.max(1, Math.ceil((max - min) / 10));
  const out: number[] = [];
  for (let v = Math.ceil(min); v <= max; v += step) out.push(v);
  return out;
}

function drawMarker(u: uPlot, spec: ChartSpec, theme: ChartTheme): void {
  if (!spec.marker) return;
  const ratio = uPlot.pxRatio;
  const x = u.valToPos(spec.marker.x, 'x', true);
  const { top, height, left, width } = u.bbox;
  const ctx = u.ctx;
  ctx.save();
  ctx.strokeStyle = theme.alert;
  ctx.fillStyle = theme.alert;
  ctx.lineWidth = 2 * ratio;
  ctx.setLineDash([6 * ratio, 4 * ratio]);
  ctx.beginPath();
  ctx.moveTo(x, top);
  ctx.lineTo(x, top + height);
  ctx.stroke();
  ctx.font = `bold ${12 * ratio}px ${theme.font}`;
  // Keep the label inside the plot: to the left of the line when it sits in the right half.
  const rightHalf = x > left + width / 2;
  ctx.textAlign = rightHalf ? 'right' : 'left';
  ctx.fillText(spec.marker.label, x + (rightHalf ? -6 : 6) * ratio, top + 14 * ratio);
  ctx.restore();
}

/** Draws `spec` with uPlot into `target`, sized to `width` CSS pixels. */
export function renderChart(spec: ChartSpec, theme: ChartTheme, target: HTMLElement, width: number): RenderedChart {
  const font = `12px ${theme.font}`;
  const axis = (label: string, values: (u: uPlot, splits: number[]) => string[]): uPlot.Axis => ({
    label,
    values,
    font,
    labelFont: font,
    stroke: theme.foreground,
    grid: { stroke: theme.grid, width: 1 },
    ticks: { stroke: theme.grid, width: 1 },
  });
  const bars = spec.kind === 'bars' ? uPlot.paths.bars?.({ size: [0.6, 64] }) : undefined;
  const n = spec.x.length;
  const options: uPlot.Options = {
    width,
    height: 240,
    legend: { show: true },
    cursor: { drag: { x: false, y: false } },
    scales: {
      x: { time: false, ...(spec.categories ? { range: [-0.5, Math.max(n - 0.5, 0.5)] as uPlot.Range.MinMax } : {}) },
      y: spec.percent ? { range: [0, 1] as uPlot.Range.MinMax } : {},
    },
    axes: [
      {
        ...axis(spec.xLabel, tickValues(spec)),
        space: 80,
        ...(spec.categories ? { splits: () => spec.x.slice() } : spec.integerX ? { splits: integerSplits } : {}),
      },
      axis(
        spec.yLabel,
        spec.percent
          ? (_u, splits) => splits.map((s) => `${Math.round(s * 100)}%`)
          : (_u, splits) => splits.map((s) => String(Number(s.toPrecision(3)))),
      ),
    ],
    series: [
      {
        label: spec.xLabel,
        value: (_u, v) => (v === null ? '' : (spec.categories?.[v] ?? (spec.formatX ? spec.formatX(v) : String(v)))),
      },
      ...spec.series.map((s, i): uPlot.Series => ({
        label: s.label,
        stroke: color(theme, i),
        width: theme.highContrast ? 3 : 2,
        dash: bars ? [] : (DASHES[i % DASHES.length] ?? []),
        spanGaps: true,
        points: { show: !bars, size: 7, fill: color(theme, i) },
        value: (_u, v) => (v === null ? '' : spec.percent ? percent(v) : String(Number(v.toPrecision(4)))),
        ...(bars ? { paths: bars, fill: color(theme, i) } : {}),
      })),
    ],
    hooks: { draw: [(u) => drawMarker(u, spec, theme)] },
  };
  // uPlot draws nothing for NaN; null is its "no value here".
  const data: uPlot.AlignedData = [
    spec.x.slice(),
    ...spec.series.map((s) => s.values.map((v) => (v === null || !Number.isFinite(v) ? null : v))),
  ];
  const plot = new uPlot(options, data, target);
  return {
    spec,
    toPng: () => chartPng(plot.ctx.canvas, spec, theme, uPlot.pxRatio),
    destroy: () => plot.destroy(),
  };
}
