import type { Severity } from '../ir/diagnostic';

/**
 * Lint settings, as Ruff spells them: `select` replaces the enabled set, `extend-select` adds to
 * it, `ignore` removes from it; codes match by prefix (`RA01` is RA010..RA018, `ALL` is all).
 */
export interface LintConfig {
  readonly select?: readonly string[];
  readonly extendSelect?: readonly string[];
  readonly ignore?: readonly string[];
  /** Per-rule severity, e.g. `{ RA011: 'error' }`. */
  readonly severity?: Readonly<Record<string, Severity>>;
  readonly budget?: number;
  /**
   * Python expressions naming models (`get_model('ra_wrn70_16')`): in a Python file that defines
   * what they call, they are its models instead of the ones found by reading it.
   */
  readonly models?: readonly string[];
}

/** Later layers override earlier ones, key by key (config file, then editor settings, then CLI). */
export function mergeConfigs(...layers: (LintConfig | undefined)[]): LintConfig {
  const merged: { -readonly [K in keyof LintConfig]: LintConfig[K] } = {};
  for (const layer of layers) {
    if (!layer) continue;
    if (layer.select) merged.select = layer.select;
    if (layer.extendSelect) merged.extendSelect = [...(merged.extendSelect ?? []), ...layer.extendSelect];
    if (layer.ignore) merged.ignore = [...(merged.ignore ?? []), ...layer.ignore];
    if (layer.severity) merged.severity = { ...merged.severity, ...layer.severity };
    if (layer.budget !== undefined) merged.budget = layer.budget;
    if (layer.models) merged.models = layer.models;
  }
  return merged;
}

/** Length of the longest selector matching `code`, or -1. */
function bestMatch(code: string, selectors: readonly string[]): number {
  let best = -1;
  for (const raw of selectors) {
    const selector = raw.trim().toUpperCase();
    if (selector === 'ALL') best = Math.max(best, 0);
    else if (code.startsWith(selector)) best = Math.max(best, selector.length);
  }
  return best;
}

/** The more specific selector wins; on a tie, ignore wins. */
export function isRuleEnabled(code: string, config: LintConfig): boolean {
  const selected = bestMatch(code, [...(config.select ?? ['ALL']), ...(config.extendSelect ?? [])]);
  if (selected < 0) return false;
  return bestMatch(code, config.ignore ?? []) < selected;
}
