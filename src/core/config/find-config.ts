import type { Diagnostic } from '../ir/diagnostic';
import type { LintConfig } from './lint-config';
import { pointRange } from '../ir/source';
import { parseLintConfig } from './parse-config';

export const CONFIG_FILES = ['robustness-lens.toml', 'pyproject.toml'] as const;

function parentOf(dir: string): string | undefined {
  const trimmed = dir.replace(/[\\/]+$/, '');
  const cut = Math.max(trimmed.lastIndexOf('/'), trimmed.lastIndexOf('\\'));
  if (cut < 0) return undefined;
  return cut === 0 ? trimmed.slice(0, 1) : trimmed.slice(0, cut);
}

export interface FoundConfig {
  readonly file?: string;
  readonly config?: LintConfig;
  readonly diagnostics: readonly Diagnostic[];
}

/**
 * The configuration closest to `startDir`, as Ruff finds it: in each folder up to the root,
 * `robustness-lens.toml` first, then a `pyproject.toml` that has `[tool.robustness-lens]`.
 * `readFile` returns undefined for a file that does not exist (the caller owns the file system),
 * and a `problem` for one that exists but may not be read (a FIFO, a link to a device): that file
 * is the configuration in force, so the search stops there with an error rather than skip it.
 */
export function findLintConfig(
  startDir: string,
  readFile: (path: string) => string | undefined | { problem: string },
): FoundConfig {
  for (let dir: string | undefined = startDir; dir !== undefined; dir = parentOf(dir)) {
    for (const name of CONFIG_FILES) {
      const file = `${dir.replace(/[\\/]+$/, '')}/${name}`;
      const text = readFile(file);
      if (text === undefined) continue;
      if (typeof text !== 'string') {
        return {
          file,
          diagnostics: [{ file, range: pointRange(0, 0), severity: 'error', code: 'RL120', message: text.problem }],
        };
      }
      const parsed = parseLintConfig(file, text);
      if (parsed.config || parsed.diagnostics.length > 0) return { file, ...parsed };
    }
    if (parentOf(dir) === dir) break;
  }
  return { diagnostics: [] };
}
