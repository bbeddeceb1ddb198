import * as path from 'node:path';
import {
  budgetInForce, configModels, detectFormat, readTextIfExists, findLintConfig, lintReadResult, mergeConfigs, networksOf, PythonReadMemo, readModelFile, summarize,
  type Diagnostic, type FoundConfig, type ModelSummary, type ReadResult,
} from '../core';
import type { ServerSettings } from './settings';

/** Everything the server knows about one version of one document. */
export interface DocumentAnalysis {
  readonly version: number;
  readonly read: ReadResult;
  readonly summaries: readonly ModelSummary[];
  readonly diagnostics: readonly Diagnostic[];
  readonly budgets: readonly (number | undefined)[];
}

/** Reads, counts and lints documents, caching per version and config files per folder. */
export class Analyzer {
  private readonly cache = new Map<string, DocumentAnalysis>();
  private readonly configs = new Map<string, FoundConfig>();
  /** Per open document: what lets a PyTorch file be re-read incrementally after a keystroke. */
  private readonly memos = new Map<string, PythonReadMemo>();

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
    const read = readModelFile(file, text, { memo, ...(models ? { models } : {}) });
    const networks = networksOf(read);
    const analysis: DocumentAnalysis = {
      version,
      read,
      summaries: networks.map((n) => summarize(n, n.inputSize ?? settings.inputSize)),
      diagnostics: lintReadResult(read, text, options),
      budgets: networks.map((n) => budgetInForce(n, options)),
    };
    this.cache.set(uri, analysis);
    return analysis;
  }
}
