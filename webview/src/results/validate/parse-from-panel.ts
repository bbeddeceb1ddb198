import type { ExportFormat, FromResultsPanel } from '../protocol';
import { arrayOf, isFields, isRunId, LIMITS, onlyKeys, str } from './guards';

const FORMATS = ['json', 'csv', 'markdown', 'png'] as const satisfies readonly ExportFormat[];

/** The PNG signature (89 50 4E 47 0D 0A 1A 0A) in base64: the data must be a PNG, not just say so. */
const PNG_PREFIX = 'data:image/png;base64,iVBORw0KGgo';

/** A base64 PNG data: URL of bounded size; anything else (other types, javascript:, SVG) is refused. */
export function isPngDataUrl(value: unknown): value is string {
  if (typeof value !== 'string' || value.length > LIMITS.pngDataUrl || !value.startsWith(PNG_PREFIX)) return false;
  const data = value.slice('data:image/png;base64,'.length);
  return data.length % 4 === 0 && /^[A-Za-z0-9+/]+={0,2}$/.test(data);
}

function runIds(value: unknown, min: number): string[] | undefined {
  const ids = arrayOf(value, LIMITS.runIds, (id) => (isRunId(id) ? id : undefined));
  return ids && ids.length >= min ? ids : undefined;
}

/**
 * What the extension accepts from the page: the page is untrusted input (it renders data from
 * files in the workspace), so every message is a closed shape with bounded sizes.
 */
export function parseFromResultsPanel(value: unknown): FromResultsPanel | undefined {
  if (!isFields(value)) return undefined;
  switch (value.type) {
    case 'ready':
      return onlyKeys(value, ['type']) ? { type: 'ready' } : undefined;
    case 'select': {
      const ids = onlyKeys(value, ['type', 'runIds']) ? runIds(value.runIds, 0) : undefined;
      return ids ? { type: 'select', runIds: ids } : undefined;
    }
    case 'cancel':
    case 'openFolder':
      return onlyKeys(value, ['type', 'runId']) && isRunId(value.runId)
        ? { type: value.type, runId: value.runId }
        : undefined;
    case 'export':
      return parseExport(value);
    default:
      return undefined;
  }
}

function parseExport(value: Readonly<Record<string, unknown>>): FromResultsPanel | undefined {
  if (!onlyKeys(value, ['type', 'format', 'runIds', 'chart', 'pngDataUrl', 'content'])) return undefined;
  const format = FORMATS.find((f) => f === value.format);
  const ids = runIds(value.runIds, 1);
  const chart = value.chart === undefined ? undefined : str(value.chart, 64);
  if (!format || !ids || (value.chart !== undefined && (chart === undefined || !/^[A-Za-z0-9_-]+$/.test(chart))))
    return undefined;
  const base = { type: 'export' as const, format, runIds: ids, ...(chart !== undefined ? { chart } : {}) };
  if (format === 'png') {
    // A PNG is always the page's rendering of one named chart.
    return chart !== undefined && isPngDataUrl(value.pngDataUrl) && value.content === undefined
      ? { ...base, pngDataUrl: value.pngDataUrl }
      : undefined;
  }
  if (value.pngDataUrl !== undefined) return undefined;
  if (value.content === undefined) return base;
  const content = str(value.content, LIMITS.exportText);
  return content === undefined ? undefined : { ...base, content };
}
