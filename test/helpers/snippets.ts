import * as fs from 'node:fs';
import { parse, stringify } from 'yaml';
import { repoPath } from './paths';

/**
 * A documentation snippet (some top-level sections of a spec) completed into a whole spec:
 * RobArch-S with the snippet's sections merged over it, so each example shows one change.
 */
export function completeSnippet(snippet: string): string {
  const base = parse(fs.readFileSync(repoPath('examples/robarch-s.arch.yaml'), 'utf8')) as Record<string, unknown>;
  const part = parse(snippet) as Record<string, unknown>;
  const merged: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(part)) {
    const current = merged[key];
    merged[key] =
      value && typeof value === 'object' && !Array.isArray(value) && current && typeof current === 'object'
        ? { ...(current as object), ...(value as object) }
        : value;
  }
  return stringify(merged);
}
