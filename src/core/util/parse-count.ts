const SUFFIX: Record<string, number> = { '': 1, k: 1e3, m: 1e6, g: 1e9, b: 1e9 };

/**
 * A parameter count written as people write budgets: 26000000, "26,143,228", "26M", "25.6m",
 * "1.2G". Returns undefined for anything else.
 */
export function parseCount(text: string | number): number | undefined {
  if (typeof text === 'number') return Number.isFinite(text) && text > 0 ? Math.round(text) : undefined;
  const match = /^\s*([0-9][0-9_,]*(?:\.[0-9]+)?)\s*([kmgb]?)\s*$/i.exec(text);
  if (!match) return undefined;
  const value = Number((match[1] ?? '').replace(/[_,]/g, '')) * (SUFFIX[(match[2] ?? '').toLowerCase()] ?? 1);
  return Number.isFinite(value) && value > 0 ? Math.round(value) : undefined;
}

/** 26143228 -> "26.14M", as budgets are usually read. */
export function formatCompact(count: number): string {
  const scaled = (value: number, digits: number, suffix: string): string =>
    `${value.toFixed(digits).replace(/\.0+$/, '')}${suffix}`;
  if (count >= 1e9) return scaled(count / 1e9, 2, 'G');
  if (count >= 1e6) return scaled(count / 1e6, 2, 'M');
  if (count >= 1e3) return scaled(count / 1e3, 1, 'K');
  return String(count);
}

/** 26143228 -> "26,143,228". */
export function formatThousands(count: number): string {
  return count.toLocaleString('en-US');
}
