import { formatThousands, layerLabel, type LayerRow, type ModelSummary } from '../core';

export interface LineCount {
  readonly line: number;
  readonly label: string;
  readonly rows: readonly LayerRow[];
}

/** Where a row's count is shown: the call of the helper that built it, else where the layer is made. */
function lineOf(row: LayerRow): number | undefined {
  return (row.layer.callSite ?? row.layer.source)?.start.line;
}

interface ModelShare {
  readonly total: number;
  /** The one count every row has, when the line makes one kind of layer. */
  readonly each: number | undefined;
  readonly count: number;
  readonly unit: 'blocks' | 'layers';
}

/** What one model makes on a line: one layer, k copies of one layer (one per block), or a mix. */
function shareOf(rows: readonly LayerRow[]): ModelShare {
  const values = rows.map((r) => (r.params.known ? r.params.value : 0));
  const first = values[0] ?? 0;
  const same = values.every((v) => v === first) && new Set(rows.map((r) => layerLabel(r.layer))).size === 1;
  const blocks = new Set(rows.map((r) => `${r.section}:${String(r.stage)}:${String(r.block)}`)).size;
  return {
    total: values.reduce((a, b) => a + b, 0),
    each: same ? first : undefined,
    count: blocks > 1 ? blocks : rows.length,
    unit: blocks > 1 ? 'blocks' : 'layers',
  };
}

function shareLabel(share: ModelShare): string {
  if (share.count === 1) return `# ${formatThousands(share.total)} params`;
  if (share.each !== undefined) return `# ${formatThousands(share.each)} params ×${share.count} ${share.unit}`;
  const total = `# ${formatThousands(share.total)} params`;
  return share.unit === 'blocks' ? `${total} in ${share.count} blocks` : total;
}

function range(values: readonly number[], format: (n: number) => string): string {
  const low = Math.min(...values);
  const high = Math.max(...values);
  return low === high ? format(low) : `${format(low)}–${format(high)}`;
}

/** One model's label, or what the models using the line make, with how many models that is. */
function lineLabel(shares: readonly ModelShare[]): string {
  const labels = shares.map(shareLabel);
  const only = labels[0] ?? '';
  if (shares.length === 1) return only;
  const used = ` · used by ${shares.length} models`;
  if (labels.every((l) => l === only)) return only + used;
  const each = shares[0]?.each;
  if (each !== undefined && shares.every((s) => s.each === each && s.unit === shares[0]?.unit)) {
    const counts = range(
      shares.map((s) => s.count),
      String,
    );
    return `# ${formatThousands(each)} params ×${counts} ${shares[0]?.unit ?? 'layers'}${used}`;
  }
  return `# ${range(
    shares.map((s) => s.total),
    formatThousands,
  )} params${used}`;
}

/**
 * Parameter counts per source line, for inlay hints and hovers. A line that creates one layer
 * used by many blocks (a conv in a block class) shows the count once with how many blocks; a
 * line that stands for a whole stage (a spec's stage entry) shows the stage's total; a line
 * that several models of the file share says how many models use it.
 */
export function countsByLine(summaries: readonly ModelSummary[]): LineCount[] {
  const byLine = new Map<number, Map<number, LayerRow[]>>();
  const seen = new Set<unknown>();
  summaries.forEach((summary, model) => {
    for (const row of summary.rows) {
      const line = lineOf(row);
      // One summary listed twice still counts each of its rows once.
      if (line === undefined || seen.has(row)) continue;
      seen.add(row);
      let models = byLine.get(line);
      if (!models) byLine.set(line, (models = new Map()));
      // Pushed in place: a stage line stands for every layer of its blocks (copying was quadratic).
      const onLine = models.get(model);
      if (onLine) onLine.push(row);
      else models.set(model, [row]);
    }
  });
  const counts: LineCount[] = [];
  for (const [line, models] of byLine) {
    const rows = [...models.values()].flat();
    if (rows.some((r) => !r.params.known)) {
      counts.push({ line, rows, label: '# params unknown' });
      continue;
    }
    const shares = [...models.values()].map(shareOf);
    if (shares.every((s) => s.total === 0)) continue;
    counts.push({ line, rows, label: lineLabel(shares) });
  }
  return counts.sort((a, b) => a.line - b.line);
}
