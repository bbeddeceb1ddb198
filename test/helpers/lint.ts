import * as fs from 'node:fs';
import { lintReadResult, readModelFile, type Diagnostic, type LintOptions } from '../../src/core';
import { repoPath } from './paths';

/** Reads and lints a repository file as the CLI and the server do. */
export function lintFile(relative: string, options: LintOptions = {}): Diagnostic[] {
  const text = fs.readFileSync(repoPath(relative), 'utf8');
  return lintText(relative, text, options);
}

export function lintText(file: string, text: string, options: LintOptions = {}): Diagnostic[] {
  return lintReadResult(readModelFile(file, text), text, options);
}

export function codesOf(diagnostics: readonly Diagnostic[]): string[] {
  return [...new Set(diagnostics.filter((d) => d.code.startsWith('RA')).map((d) => d.code))].sort();
}
