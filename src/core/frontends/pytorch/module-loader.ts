import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Node, Tree } from 'web-tree-sitter';
import { FRESH_MODULES } from './module-cache';
import { findModuleFile, isNativeModule, moduleNameOf, type PythonSearchOptions } from './module-files';
import type { GlobalScope } from './dependencies';
import type { Scope } from './values';

/** A file as it was on disk: a result computed from it holds while the stamp is unchanged. */
export interface FileStamp {
  readonly file: string;
  readonly mtimeMs: number;
  readonly size: number;
}

export function stampOf(file: string): FileStamp {
  try {
    const stat = fs.statSync(file);
    return { file, mtimeMs: stat.mtimeMs, size: stat.size };
  } catch {
    return { file, mtimeMs: -1, size: -1 };
  }
}

/** One module read for an import: its scope fills as its module level runs. */
export interface LoadedModule {
  readonly name: string;
  readonly file: string;
  readonly scope: GlobalScope;
  state: 'loading' | 'done' | 'failed';
  reason?: string;
}

/** Runs a module's top level into its scope (the interpreter supplies it). */
export type RunModule = (root: Node, scope: GlobalScope, module: LoadedModule) => void;

/** Past this many module files, a read stops following imports (a package's whole tree is not a model). */
const MAX_MODULES = 200;

/**
 * Follows a file's imports as Python would resolve them, without running anything: relative
 * imports inside its package, package-absolute ones from its package root, the workspace
 * folders and the search path. Each module file is parsed and run once per read; a cycle sees
 * the partly run module (as Python does), a missing module stays a name the evaluator does not know.
 */
export class ModuleLoader {
  private readonly modules = new Map<string, LoadedModule | undefined>();
  private readonly files = new Map<string, string | undefined>();
  private readonly trees: Tree[] = [];
  private readonly roots: string[];
  /** The file's own dotted name ('' when it is not in a package) and whether it is a package's __init__. */
  readonly self: { readonly name: string; readonly isPackage: boolean } | undefined;

  constructor(
    file: string | undefined,
    private readonly options: PythonSearchOptions,
    private readonly newScope: (name: string) => GlobalScope,
    private readonly run: RunModule,
  ) {
    const exists = file !== undefined && fs.existsSync(file);
    const own = exists ? moduleNameOf(file) : undefined;
    this.self = own ? { name: own.name, isPackage: own.isPackage } : undefined;
    this.roots = [...new Set([...(own ? [own.root] : []), ...(options.searchPath ?? []).map((p) => path.resolve(p))])];
  }

  /** The module files this read ran, as they were on disk then (a memo reuses results only while they are). */
  get stamps(): readonly FileStamp[] {
    return [...this.stampsByFile.values()];
  }
  private readonly stampsByFile = new Map<string, FileStamp>();

  /** The module whose top-level scope this is (undefined for the main file's). */
  moduleOfScope(scope: GlobalScope | Scope): LoadedModule | undefined {
    return this.byScope.get(scope);
  }
  private readonly byScope = new Map<Scope, LoadedModule>();

  /**
   * The absolute name of `from <dots><name> import ...` written in `from` (an imported module) or
   * in the main file, or undefined outside a package.
   */
  absolute(relative: string, from?: LoadedModule): string | undefined {
    const match = /^(\.*)(.*)$/.exec(relative);
    const dots = match?.[1]?.length ?? 0;
    const rest = match?.[2] ?? '';
    if (dots === 0) return rest;
    const importer = from ? { name: from.name, isPackage: path.basename(from.file) === '__init__.py' } : this.self;
    if (!importer) return undefined;
    const parts = importer.name ? importer.name.split('.') : [];
    const packageParts = importer.isPackage ? parts : parts.slice(0, -1);
    if (dots - 1 > packageParts.length) return undefined;
    const base = packageParts.slice(0, packageParts.length - (dots - 1));
    return [...base, ...(rest ? [rest] : [])].join('.') || undefined;
  }

  /** Whether a module file exists for this dotted name (and is not one the evaluator models itself). */
  exists(name: string): boolean {
    return this.fileOf(name) !== undefined;
  }

  private fileOf(name: string): string | undefined {
    if (!name || isNativeModule(name)) return undefined;
    if (!this.files.has(name)) this.files.set(name, findModuleFile(name, this.roots));
    return this.files.get(name);
  }

  /** The module, run on first use; undefined when no file holds it. */
  module(name: string): LoadedModule | undefined {
    if (this.modules.has(name)) return this.modules.get(name);
    const file = this.fileOf(name);
    if (!file) {
      this.modules.set(name, undefined);
      return undefined;
    }
    const module: LoadedModule = { name, file, scope: this.newScope(name), state: 'loading' };
    this.modules.set(name, module);
    this.byScope.set(module.scope, module);
    if (this.stampsByFile.size >= MAX_MODULES)
      return this.fail(module, `more than ${MAX_MODULES} module files imported`);
    const parsed = (this.options.modules ?? FRESH_MODULES).parse(file);
    this.stampsByFile.set(file, parsed.stamp);
    if (!('tree' in parsed)) return this.fail(module, parsed.reason);
    const tree = parsed.tree;
    if (parsed.owned) this.trees.push(tree);
    if (tree.rootNode.hasError) return this.fail(module, `${file} has a syntax error`);
    this.run(tree.rootNode, module.scope, module);
    if (module.state === 'loading') module.state = 'done';
    return module;
  }

  private fail(module: LoadedModule, reason: string): LoadedModule {
    module.state = 'failed';
    module.reason = reason;
    return module;
  }

  /** Frees the module files' syntax trees (tree-sitter's memory lives outside the GC). */
  dispose(): void {
    for (const tree of this.trees) tree.delete();
    this.trees.length = 0;
  }
}
