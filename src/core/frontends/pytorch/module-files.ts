import * as fs from 'node:fs';
import * as path from 'node:path';
import { MAX_MODEL_FILE_BYTES } from '../limits';
import type { ModuleSource } from './module-cache';

/**
 * Where Python module files are found, as Python's import system would find them, without
 * running anything: a file's package (relative imports), its package root, the workspace
 * folders and the search path the user gave (`--python-path`, `robustnessLens.python.searchPath`).
 */
export interface PythonSearchOptions {
  /** Directories searched for package-absolute imports, in order, after the file's own root. */
  readonly searchPath?: readonly string[];
  /** Where module files are parsed: a cache kept across reads (the language server's), else fresh. */
  readonly modules?: ModuleSource;
}

/** Top-level packages the evaluator models itself, or that hold no model code: never read from disk. */
const NATIVE_ROOTS = new Set([
  'torch',
  'tensorflow',
  'keras',
  'numpy',
  'np',
  'scipy',
  'typing',
  'typing_extensions',
  'collections',
  'dataclasses',
  'enum',
  'functools',
  'itertools',
  'math',
  'pathlib',
  'os',
  'sys',
  're',
  'json',
  'abc',
  'argparse',
  'logging',
  'warnings',
  'copy',
  'inspect',
  'importlib',
  'types',
  'PIL',
  'matplotlib',
  'pandas',
  'yaml',
  'tqdm',
  'requests',
]);

export function isNativeModule(name: string): boolean {
  return NATIVE_ROOTS.has(name.split('.')[0] ?? '');
}

/** A regular file no larger than a model file may be, or undefined (FIFOs, devices, links to them). */
function regularFile(file: string): boolean {
  try {
    const stat = fs.statSync(file);
    return stat.isFile() && stat.size <= MAX_MODEL_FILE_BYTES;
  } catch {
    return false;
  }
}

export function readModuleText(file: string): string | undefined {
  if (!regularFile(file)) return undefined;
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

/** The file's dotted module name and the directory its top package lives in (walking up `__init__.py`s). */
export function moduleNameOf(file: string): {
  readonly name: string;
  readonly root: string;
  readonly isPackage: boolean;
} {
  const absolute = path.resolve(file);
  const base = path.basename(absolute, '.py');
  const isPackage = base === '__init__';
  const parts = isPackage ? [] : [base];
  let dir = path.dirname(absolute);
  for (let depth = 0; depth < 32 && regularFile(path.join(dir, '__init__.py')); depth++) {
    parts.unshift(path.basename(dir));
    const parent = path.dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  return { name: parts.join('.'), root: dir, isPackage };
}

/** The file holding a dotted module under one of the roots: `a/b.py` or `a/b/__init__.py`. */
export function findModuleFile(name: string, roots: readonly string[]): string | undefined {
  const parts = name.split('.');
  if (parts.some((p) => !/^[A-Za-z_][A-Za-z0-9_]*$/.test(p))) return undefined;
  for (const root of roots) {
    const base = path.join(root, ...parts);
    for (const candidate of [`${base}.py`, path.join(base, '__init__.py')]) {
      if (regularFile(candidate)) return candidate;
    }
  }
  return undefined;
}
