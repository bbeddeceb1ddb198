import { formatThousands, layerLabel, type LayerRow, type ModelSummary } from '../core';

export interface LineCount {
  readonly line: number;
  readonly label: string;
  readonly rows: readonly LayerRow[];
}

/**
 * Parameter counts per source line, for inlay hints and hovers. A line that creates one layer
 * used by many blocks (a conv in a block class) shows the count once with its multiplicity;
 * a line that stands for a whole stage (a spec's stage entry) shows the stage's total.
 */
export function countsByLine(summaries: readonly ModelSummary[]): LineCount[] {
  const byLine = new Map<number, LayerRow[]>();
  const seen = new Set<unknown>();
  for (const summary of summaries) {
    for (const row of summary.rows) {
      const line = row.layer.source?.start.line;
      // Two models of one file share their classes' lines: count each layer object once per line.
      if (line === undefined || seen.has(row)) continue;
      seen.add(row);
      // Pushed in place: a stage line stands for every layer of its blocks (copying was quadratic).
      const onLine = byLine.get(line);
      if (onLine) onLine.push(row);
      else byLine.set(line, [row]);
    }
  }
  const counts: LineCount[] = [];
  for (const [line, rows] of byLine) {
    const known = rows.map((r) => (r.params.known ? r.params.value : undefined));
    if (known.some((v) => v === undefined)) {
      counts.push({ line, rows, label: '# params unknown' });
      continue;
    }
    const values = known as number[];
    const total = values.reduce((a, b) => a + b, 0);
    if (total === 0) continue;
    const same = values.every((v) => v === values[0]) && new Set(rows.map((r) => layerLabel(r.layer))).size === 1;
    counts.push({
      line,
      rows,
      label: same && rows.length > 1 ? `# ${formatThousands(values[0] ?? 0)} params ×${rows.length}` : `# ${formatThousands(total)} params`,
    });
  }
  return counts.sort((a, b) => a.line - b.line);
}
