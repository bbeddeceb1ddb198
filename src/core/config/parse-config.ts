import { parse, TomlError } from 'smol-toml';
import type { Diagnostic, Severity } from '../ir/diagnostic';
import { pointRange } from '../ir/source';
import { parseCount } from '../util/parse-count';
import type { LintConfig } from './lint-config';
import { MAX_MODEL_EXPRESSION } from '../frontends/pytorch/named-models';

const SEVERITIES: readonly Severity[] = ['error', 'warning', 'info', 'hint'];
const KEYS = ['select', 'extend-select', 'ignore', 'severity', 'budget', 'models'];
const CODE = /^(ALL|RA\d{0,3})$/i;
/** More named models than anyone lists by hand: a mistake, refused before any is evaluated. */
const MAX_MODELS = 100;

function lineOf(text: string, needle: string): number {
  const index = text.search(new RegExp(`^\\s*["']?${needle.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}["']?\\s*=`, 'm'));
  return index < 0 ? 0 : text.slice(0, index).split('\n').length - 1;
}

/**
 * Reads `robustness-lens.toml` (settings at the top level) or `pyproject.toml` (settings under
 * `[tool.robustness-lens]`). Returns no config, and no error, for a pyproject without the table.
 */
export function parseLintConfig(file: string, text: string): { config?: LintConfig; diagnostics: Diagnostic[] } {
  const error = (line: number, message: string, character = 0): { diagnostics: Diagnostic[] } => ({
    diagnostics: [{ file, range: pointRange(line, character), severity: 'error', code: 'RL120', message }],
  });
  let document: Record<string, unknown>;
  try {
    document = parse(text) as Record<string, unknown>;
  } catch (e) {
    if (e instanceof TomlError)
      return error(
        Math.max(0, e.line - 1),
        `invalid TOML: ${e.message.split('\n')[0] ?? ''}`,
        Math.max(0, e.column - 1),
      );
    return error(0, `invalid TOML: ${(e as Error).message}`);
  }
  const isPyproject = /(^|[\\/])pyproject\.toml$/i.test(file);
  const tool = document.tool as Record<string, unknown> | undefined;
  const table = isPyproject ? tool?.['robustness-lens'] : document;
  if (table === undefined) return { diagnostics: [] };
  if (typeof table !== 'object' || table === null || Array.isArray(table))
    return error(0, '[tool.robustness-lens] must be a table');
  const settings = table as Record<string, unknown>;
  for (const key of Object.keys(settings)) {
    if (!KEYS.includes(key))
      return error(lineOf(text, key), `unknown setting "${key}"; expected one of: ${KEYS.join(', ')}`);
  }
  const codes = (key: string): string[] | { error: string } | undefined => {
    const value = settings[key];
    if (value === undefined) return undefined;
    if (!Array.isArray(value) || value.some((v) => typeof v !== 'string' || !CODE.test(v))) {
      return { error: `${key} must be a list of rule codes or prefixes such as "RA011", "RA01" or "ALL"` };
    }
    return value as string[];
  };
  const config: { -readonly [K in keyof LintConfig]: LintConfig[K] } = {};
  for (const [key, field] of [
    ['select', 'select'],
    ['extend-select', 'extendSelect'],
    ['ignore', 'ignore'],
  ] as const) {
    const list = codes(key);
    if (list && 'error' in list) return error(lineOf(text, key), list.error);
    if (list) config[field] = list;
  }
  if (settings.severity !== undefined) {
    const severity = settings.severity;
    if (typeof severity !== 'object' || severity === null || Array.isArray(severity))
      return error(
        lineOf(text, 'severity'),
        'severity must be a table of rule code = "error" | "warning" | "info" | "hint"',
      );
    const out: Record<string, Severity> = {};
    for (const [code, level] of Object.entries(severity as Record<string, unknown>)) {
      if (!/^RA\d{3}$/i.test(code) || !SEVERITIES.includes(level as Severity)) {
        return error(
          lineOf(text, code),
          `severity.${code} must be "error", "warning", "info" or "hint" for a rule code RA001..RA018`,
        );
      }
      out[code.toUpperCase()] = level as Severity;
    }
    config.severity = out;
  }
  if (settings.budget !== undefined) {
    const budget = parseCount(settings.budget as string | number);
    if (budget === undefined)
      return error(lineOf(text, 'budget'), 'budget must be a parameter count such as "26M" or 26000000');
    config.budget = budget;
  }
  if (settings.models !== undefined) {
    const models = settings.models;
    const oneLine = (m: unknown): boolean =>
      typeof m === 'string' && m.trim().length > 0 && m.length <= MAX_MODEL_EXPRESSION && !/[\r\n]/.test(m);
    if (!Array.isArray(models) || models.length > MAX_MODELS || !models.every(oneLine)) {
      const example = `"get_model('ra_wrn70_16')"`;
      return error(
        lineOf(text, 'models'),
        `models must be a list of at most ${MAX_MODELS} one-line Python expressions such as ${example}`,
      );
    }
    config.models = models as string[];
  }
  return { config, diagnostics: [] };
}
