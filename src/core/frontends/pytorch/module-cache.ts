import type { Tree } from 'web-tree-sitter';
import { readModuleText } from './module-files';
import { stampOf, type FileStamp } from './module-loader';
import { parsePython } from './python-parser';

/** A module file as parsed, or why it could not be. */
export type ParsedModule =
  { readonly tree: Tree; readonly stamp: FileStamp } | { readonly reason: string; readonly stamp: FileStamp };

/** Where a read gets imported module files parsed: fresh each time, or from a cache kept across reads. */
export interface ModuleSource {
  /** The file parsed as it is on disk now. `owned`: the caller must free the tree (the cache keeps its own). */
  parse(file: string): ParsedModule & { readonly owned: boolean };
}

function parseFile(file: string, stamp: FileStamp): ParsedModule {
  const text = readModuleText(file);
  if (text === undefined) return { reason: `${file} cannot be read`, stamp };
  const tree = parsePython(text);
  return tree ? { tree, stamp } : { reason: `${file} cannot be parsed`, stamp };
}

/** Parses each time (the CLI reads a file once). */
export const FRESH_MODULES: ModuleSource = {
  parse: (file) => ({ ...parseFile(file, stampOf(file)), owned: true }),
};

function sameStamp(a: FileStamp, b: FileStamp): boolean {
  return a.mtimeMs === b.mtimeMs && a.size === b.size;
}

/**
 * Parsed module files kept across reads (the language server holds one): a file is parsed again
 * only when its modification time or size changed on disk. Least recently used files go first
 * past `capacity`, their trees freed (tree-sitter's memory lives outside the GC).
 */
export class ModuleFileCache implements ModuleSource {
  private readonly entries = new Map<string, ParsedModule>();
  /** Files parsed and files served from the cache since it was made (tests and benchmarks look). */
  readonly stats = { parsed: 0, reused: 0 };

  constructor(private readonly capacity = 400) {}

  parse(file: string): ParsedModule & { readonly owned: boolean } {
    const stamp = stampOf(file);
    const cached = this.entries.get(file);
    this.entries.delete(file);
    if (cached && sameStamp(cached.stamp, stamp)) {
      this.entries.set(file, cached);
      this.stats.reused++;
      return { ...cached, owned: false };
    }
    if (cached && 'tree' in cached) cached.tree.delete();
    const parsed = parseFile(file, stamp);
    this.stats.parsed++;
    this.entries.set(file, parsed);
    this.evict();
    return { ...parsed, owned: false };
  }

  private evict(): void {
    for (const [file, entry] of this.entries) {
      if (this.entries.size <= this.capacity) return;
      if ('tree' in entry) entry.tree.delete();
      this.entries.delete(file);
    }
  }

  /** The files held, least recently used first. */
  get files(): readonly string[] {
    return [...this.entries.keys()];
  }

  dispose(): void {
    for (const entry of this.entries.values()) if ('tree' in entry) entry.tree.delete();
    this.entries.clear();
  }
}
