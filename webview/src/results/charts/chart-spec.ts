/** A chart independent of the drawing library: what to draw and how to describe it in words. */
export interface ChartSpec {
  /** Names the chart in exports ('loss', 'accuracy', 'attacks', 'epsilon', ...). */
  readonly id: string;
  readonly title: string;
  /** One sentence for screen readers; the data table below the chart has every value. */
  readonly summary: string;
  readonly kind: 'line' | 'bars';
  readonly xLabel: string;
  readonly yLabel: string;
  readonly x: readonly number[];
  /** Category names for x = 0, 1, 2, ... (the attacks of an evaluation); absent for numeric x. */
  readonly categories?: readonly string[];
  readonly series: ReadonlyArray<{ readonly label: string; readonly values: ReadonlyArray<number | null> }>;
  /** Values are fractions shown as percentages on a fixed 0-100% axis. */
  readonly percent: boolean;
  /** Integer x (epochs): no ticks between whole numbers. */
  readonly integerX?: boolean;
  /** A vertical line with a label, at an x value (catastrophic overfitting). */
  readonly marker?: { readonly x: number; readonly label: string };
  /** How the x values read in the data table (epsilon as k/255, say). */
  readonly formatX?: (x: number) => string;
}

/** Points that carry a value, over every series. */
export function pointCount(spec: ChartSpec): number {
  return spec.series.reduce((n, s) => n + s.values.filter((v) => v !== null && Number.isFinite(v)).length, 0);
}
