import * as path from 'node:path';
import {
  budgetInForce,
  configModels,
  detectFormat,
  readTextIfExists,
  findLintConfig,
  lintReadResult,
  mergeConfigs,
  ModuleFileCache,
  networksOf,
  PythonReadMemo,
  readModelFile,
  summarize,
  impliedInputSize,
  type Diagnostic,
  type FoundConfig,
  type ModelSummary,
  type ReadResult,
} from '../core';
import type { ServerSettings } from './settings';

/** Everything the server knows about one version of one document. */
export interface DocumentAnalysis {
  readonly version: number;
  readonly read: ReadResult;
  readonly summaries: readonly ModelSummary[];
  readonly diagnostics: readonly Diagnostic[];
  readonly budgets: readonly (number | undefined)[];
  /**
   * Set when a syntax error (mid-edit) lost the file's models: `summaries` are then the last
   * valid parse's, shown as such (never as the file's count now), and `line` is the error's.
   */
  readonly stale?: { readonly line: number };
}

/** Reads, counts and lints documents, caching per version and config files per folder. */
export class Analyzer {
  private readonly cache = new Map<string, DocumentAnalysis>();
  private readonly configs = new Map<string, FoundConfig>();
  /** Per open document: what lets a PyTorch file be re-read incrementally after a keystroke. */
  private readonly memos = new Map<string, PythonReadMemo>();
  /** Imported Python module files, parsed once and again only when they change on disk. */
  readonly modules = new ModuleFileCache();

  constructor(private settings: () => ServerSettings) {}

  configFor(file: string): FoundConfig {
    const dir = path.dirname(file);
    let found = this.configs.get(dir);
    if (!found) {
      found = findLintConfig(dir, readTextIfExists);
      this.configs.set(dir, found);
    }
    return found;
  }

  /** Settings or config files changed: every analysis is stale. */
  invalidate(): void {
    this.cache.clear();
    this.configs.clear();
    // A memo's reuse does not know the settings (the search path): start the documents afresh.
    for (const memo of this.memos.values()) memo.dispose();
    this.memos.clear();
  }

  forget(uri: string): void {
    this.cache.delete(uri);
    this.memos.get(uri)?.dispose();
    this.memos.delete(uri);
  }

  isModelFile(file: string, text: string): boolean {
    return detectFormat(file, text) !== undefined;
  }

  /** `open`: the document is open in the editor and will change again (keep what speeds that up). */
  analyse(uri: string, file: string, text: string, version: number, open: boolean): DocumentAnalysis {
    const cached = this.cache.get(uri);
    if (cached && cached.version === version) return cached;
    const settings = this.settings();
    const config = mergeConfigs(this.configFor(file).config, settings.lint);
    const options = { config, budgetOverride: settings.budget };
    let memo = open ? this.memos.get(uri) : undefined;
    if (open && !memo) {
      memo = new PythonReadMemo();
      this.memos.set(uri, memo);
    }
    const found = this.configFor(file);
    const models = configModels(found.config, found.file);
    const python = { searchPath: settings.pythonSearchPath, modules: this.modules };
    const read = readModelFile(file, text, { memo, python, ...(models ? { models } : {}) });
    const networks = networksOf(read);
    let analysis: DocumentAnalysis = {
      version,
      read,
      summaries: networks.map((n) => summarize(n, impliedInputSize(n)?.size ?? settings.inputSize)),
      diagnostics: lintReadResult(read, text, options),
      budgets: networks.map((n) => budgetInForce(n, options)),
    };
    const syntax = read.diagnostics.find((d) => d.code === 'RL101');
    if (open && syntax && networks.length === 0 && cached && cached.summaries.length > 0) {
      const stale = { line: syntax.range.start.line };
      analysis = { ...analysis, summaries: cached.summaries, budgets: cached.budgets, stale };
    }
    this.cache.set(uri, analysis);
    return analysis;
  }
}
