/** Zero-based line and UTF-16 column, as the Language Server Protocol counts them. */
export interface Position {
  readonly line: number;
  readonly character: number;
}

export interface SourceRange {
  readonly start: Position;
  readonly end: Position;
}

export function pointRange(line: number, character: number): SourceRange {
  const at = { line, character };
  return { start: at, end: at };
}

/** `file:line:col` with one-based line and column, the form compilers and Ruff print. */
export function formatLocation(file: string, range: SourceRange | undefined): string {
  const start = range?.start ?? { line: 0, character: 0 };
  return `${file}:${start.line + 1}:${start.character + 1}`;
}
