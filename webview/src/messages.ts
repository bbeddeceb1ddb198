import type { ParamsReport } from '../../src/core/params/summary-report';

/** Messages between the extension and the parameter breakdown panel, shared by both sides. */

/** Every model of the file (a multi-model file gets a picker) and the one to show first. */
export type ToPanel = { readonly type: 'show'; readonly reports: readonly ParamsReport[]; readonly selected: string };

export type FromPanel =
  | { readonly type: 'ready' }
  | { readonly type: 'reveal'; readonly line: number }
  | { readonly type: 'selected'; readonly name: string };

/** The panel's page is untrusted input to the extension: validate every message it sends. */
export function parseFromPanel(value: unknown): FromPanel | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as Record<string, unknown>;
  if (v.type === 'ready') return { type: 'ready' };
  if (
    v.type === 'reveal' &&
    typeof v.line === 'number' &&
    Number.isInteger(v.line) &&
    v.line >= 1 &&
    v.line <= 10_000_000
  ) {
    return { type: 'reveal', line: v.line };
  }
  if (v.type === 'selected' && typeof v.name === 'string' && v.name.length > 0 && v.name.length <= 500) {
    return { type: 'selected', name: v.name };
  }
  return undefined;
}
