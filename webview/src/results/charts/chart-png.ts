import type { ChartTheme } from '../page/theme';
import type { ChartSpec } from './chart-spec';

/**
 * uPlot draws the plot and axes on a canvas but its title and legend are HTML, so a PNG of the
 * canvas alone would be unlabelled: compose title, plot and a legend row onto a new canvas,
 * on the theme's background so the image reads the same outside the editor.
 */
export function chartPng(plot: HTMLCanvasElement, spec: ChartSpec, theme: ChartTheme, ratio: number): string {
  const pad = 12 * ratio;
  const titleHeight = 24 * ratio;
  const legendHeight = 22 * ratio;
  const out = document.createElement('canvas');
  out.width = plot.width + 2 * pad;
  out.height = plot.height + titleHeight + legendHeight + 2 * pad;
  const ctx = out.getContext('2d');
  if (!ctx) throw new Error('no 2D canvas context');
  ctx.fillStyle = theme.background;
  ctx.fillRect(0, 0, out.width, out.height);
  ctx.fillStyle = theme.foreground;
  ctx.textBaseline = 'middle';
  ctx.font = `bold ${14 * ratio}px ${theme.font}`;
  ctx.fillText(spec.title, pad, pad + titleHeight / 2);
  ctx.drawImage(plot, pad, pad + titleHeight);
  ctx.font = `${12 * ratio}px ${theme.font}`;
  let x = pad;
  const y = pad + titleHeight + plot.height + legendHeight / 2;
  spec.series.forEach((s, i) => {
    const swatch = theme.palette[i % theme.palette.length] ?? theme.foreground;
    ctx.fillStyle = swatch;
    ctx.fillRect(x, y - 5 * ratio, 10 * ratio, 10 * ratio);
    x += 14 * ratio;
    ctx.fillStyle = theme.foreground;
    ctx.fillText(s.label, x, y);
    x += ctx.measureText(s.label).width + 18 * ratio;
  });
  return out.toDataURL('image/png');
}
