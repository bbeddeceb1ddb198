import * as path from 'node:path';

/** Tests run from the repository root (`npm test`); fixtures and examples are read from there. */
export const repoRoot = process.cwd();

export function repoPath(...parts: string[]): string {
  return path.join(repoRoot, ...parts);
}
