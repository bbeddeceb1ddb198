/** The core's public surface: everything other layers (server, engine, CLI) may use. */
export * from './ir/fact';
export * from './ir/source';
export * from './ir/diagnostic';
export * from './ir/layers';
export * from './ir/network';
export {
  readModelFile,
  detectFormat,
  internalErrorDiagnostic,
  type ReadOptions,
  type ModelFileFormat,
} from './frontends/read-model-file';
export { networksOf, type ReadResult } from './frontends/read-result';
export { ensurePythonParser, isPythonParserReady } from './frontends/pytorch/python-parser';
export { PythonReadMemo } from './frontends/pytorch/read-memo';
export { ModuleFileCache, type ModuleSource } from './frontends/pytorch/module-cache';
export type { NamedModels } from './frontends/pytorch/named-models';
export { checkFileSize, MAX_MODEL_FILE_BYTES } from './frontends/limits';
export { summarize, type ModelSummary, type LayerRow, type PartTotal } from './params/summary';
export { impliedInputSize, type ImpliedInput } from './params/input-size';
export { formatShape, type Shape } from './params/shapes';
export { parseCount, formatCompact, formatThousands } from './util/parse-count';
export { layerLabel, activationClassName, normClassName } from './describe/layer-label';
export { paramsReport, type ForwardGraphCheck, type ParamsReport } from './params/summary-report';
export * from './ir/editor';
export { lintNetwork, lintReadResult, budgetInForce, type LintOptions } from './lint/lint';
export { parseSuppressions } from './lint/suppression';
export { mergeConfigs, isRuleEnabled, type LintConfig } from './config/lint-config';
export { parseLintConfig } from './config/parse-config';
export { findLintConfig, CONFIG_FILES, type FoundConfig } from './config/find-config';
export { configModels } from './config/config-models';
export { RULES, ruleByCode } from './rules/registry';
export type { Rule, RuleLevel, RuleFinding } from './rules/rule';
export { designFromNetwork } from './whatif/design-from-network';
export { designParams } from './whatif/design-params';
export { ruleDocMarkdown, rulesIndexMarkdown } from './rules/rule-docs';
export { READER_CODES, readerCodeByCode, readerCodeDocMarkdown, type ReaderCode } from './rules/reader-codes';
export { applyEdits } from './edit/apply-edits';
export { findModelFiles } from './workspace/find-model-files';
export { readTextIfExists } from './workspace/read-text';
export {
  checkReadable,
  FileReadError,
  READ_LIMITS,
  readFileBounded,
  readTextBounded,
  readTextIfPresent,
  type BoundedReadOptions,
  type ReadFailure,
} from './workspace/read-bounded';
