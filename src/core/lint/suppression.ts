/**
 * Suppression comments, as Ruff's `# noqa`:
 *   `# robustness-lens: ignore[RA011, RA013]` on a line silences those rules there,
 *   `# robustness-lens: ignore` silences every rule on that line,
 *   `# robustness-lens: ignore-file` anywhere silences every rule in the file.
 */
export interface Suppressions {
  readonly file: boolean;
  isSuppressed(line: number, code: string): boolean;
}

const COMMENT = /#\s*robustness-lens:\s*(ignore-file|ignore)(?:\[([^\]]*)\])?/i;

export function parseSuppressions(text: string): Suppressions {
  const byLine = new Map<number, Set<string> | 'all'>();
  let file = false;
  text.split('\n').forEach((line, index) => {
    const match = COMMENT.exec(line);
    if (!match) return;
    if (match[1]?.toLowerCase() === 'ignore-file') {
      file = true;
      return;
    }
    const codes = match[2]?.split(',').map((c) => c.trim().toUpperCase()).filter(Boolean);
    byLine.set(index, codes && codes.length > 0 ? new Set(codes) : 'all');
  });
  return {
    file,
    isSuppressed(line, code) {
      if (file) return true;
      const entry = byLine.get(line);
      return entry === 'all' || (entry !== undefined && entry.has(code));
    },
  };
}
