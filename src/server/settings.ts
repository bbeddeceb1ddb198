import * as path from 'node:path';
import { INTERPRETER_SEARCH_PATH_KEY } from './protocol';
import { parseCount, type LintConfig, type Severity } from '../core';

/** The `robustnessLens.*` settings the server reads (the client contributes them in package.json). */
export interface ServerSettings {
  readonly enable: boolean;
  readonly inlayHints: boolean;
  readonly inputSize: number;
  /** The editor's layer on top of robustness-lens.toml / pyproject.toml. */
  readonly lint: LintConfig;
  readonly budget?: number;
  /**
   * Where imports of Python model files are looked for: `robustnessLens.python.searchPath`, then the
   * configured interpreter's `sys.path` (the client asks it, in a trusted workspace only).
   */
  readonly pythonSearchPath: readonly string[];
}

export const DEFAULT_SETTINGS: ServerSettings = {
  enable: true,
  inlayHints: true,
  inputSize: 224,
  lint: {},
  pythonSearchPath: [],
};

function folders(value: unknown): string[] {
  return Array.isArray(value)
    ? value.filter((v): v is string => typeof v === 'string' && v.trim() !== '' && !v.includes('\0'))
    : [];
}

const SEVERITIES = new Set(['error', 'warning', 'info', 'hint']);

function codes(value: unknown): string[] | undefined {
  return Array.isArray(value)
    ? value.filter((v): v is string => typeof v === 'string' && /^(ALL|RA\d{0,3})$/i.test(v))
    : undefined;
}

/** Settings arrive as untyped JSON from the editor: keep what is valid, ignore the rest. */
export function parseSettings(raw: unknown): ServerSettings {
  if (typeof raw !== 'object' || raw === null) return DEFAULT_SETTINGS;
  const r = raw as Record<string, unknown>;
  const rules = (typeof r.rules === 'object' && r.rules !== null ? r.rules : {}) as Record<string, unknown>;
  const severity: Record<string, Severity> = {};
  if (typeof rules.severity === 'object' && rules.severity !== null) {
    for (const [code, level] of Object.entries(rules.severity as Record<string, unknown>)) {
      if (/^RA\d{3}$/i.test(code) && typeof level === 'string' && SEVERITIES.has(level))
        severity[code.toUpperCase()] = level as Severity;
    }
  }
  const select = codes(rules.select);
  const ignore = codes(rules.ignore);
  const inlay = (typeof r.inlayHints === 'object' && r.inlayHints !== null ? r.inlayHints : {}) as Record<
    string,
    unknown
  >;
  const budget = typeof r.budget === 'string' || typeof r.budget === 'number' ? parseCount(r.budget) : undefined;
  const python = (typeof r.python === 'object' && r.python !== null ? r.python : {}) as Record<string, unknown>;
  const pythonSearchPath = [
    ...new Set([...folders(python.searchPath), ...folders(python[INTERPRETER_SEARCH_PATH_KEY])]),
  ];
  const inputSize =
    typeof r.inputSize === 'number' && Number.isInteger(r.inputSize) && r.inputSize > 0 ? r.inputSize : 224;
  return {
    enable: r.enable !== false,
    inlayHints: inlay.enabled !== false,
    inputSize,
    pythonSearchPath,
    lint: {
      ...(select && select.length > 0 ? { select } : {}),
      ...(ignore && ignore.length > 0 ? { ignore } : {}),
      ...(Object.keys(severity).length > 0 ? { severity } : {}),
    },
    ...(budget !== undefined ? { budget } : {}),
  };
}

/**
 * The search path as the server uses it: relative folders of the setting taken from each workspace
 * folder, and the workspace folders themselves last (package-absolute imports of a project's own code).
 */
export function resolveSearchPath(settings: ServerSettings, workspaceFolders: readonly string[]): ServerSettings {
  const resolved = settings.pythonSearchPath.flatMap((p) =>
    path.isAbsolute(p) ? [p] : workspaceFolders.map((w) => path.resolve(w, p)),
  );
  return { ...settings, pythonSearchPath: [...new Set([...resolved, ...workspaceFolders])] };
}
