/**
 * Suppression comments, as Ruff's `# noqa`:
 *   `# robustness-lens: ignore[RA011, RA013]` on a line silences those rules there,
 *   `# robustness-lens: ignore` silences every rule on that line,
 *   `# robustness-lens: ignore-file` anywhere silences every rule in the file,
 *   `# robustness-lens: ignore-file[RA011]` anywhere silences those rules in the file.
 */
export interface Suppressions {
  /** Every rule is silenced in the whole file. */
  readonly file: boolean;
  /** Rules silenced in the whole file by `ignore-file[...]`. */
  readonly fileCodes: ReadonlySet<string>;
  isSuppressed(line: number, code: string): boolean;
}

const COMMENT = /#\s*robustness-lens:\s*(ignore-file|ignore)(?:\[([^\]]*)\])?/i;

export function parseSuppressions(text: string): Suppressions {
  const byLine = new Map<number, Set<string> | 'all'>();
  const fileCodes = new Set<string>();
  let file = false;
  text.split('\n').forEach((line, index) => {
    const match = COMMENT.exec(line);
    if (!match) return;
    const codes = match[2]
      ?.split(',')
      .map((c) => c.trim().toUpperCase())
      .filter(Boolean);
    if (match[1]?.toLowerCase() === 'ignore-file') {
      if (codes && codes.length > 0) for (const code of codes) fileCodes.add(code);
      else file = true;
      return;
    }
    byLine.set(index, codes && codes.length > 0 ? new Set(codes) : 'all');
  });
  return {
    file,
    fileCodes,
    isSuppressed(line, code) {
      if (file || fileCodes.has(code)) return true;
      const entry = byLine.get(line);
      return entry === 'all' || (entry !== undefined && entry.has(code));
    },
  };
}
