/** The core's public surface: everything other layers (server, engine, CLI) may use. */
export * from './ir/fact';
export * from './ir/source';
export * from './ir/diagnostic';
export * from './ir/layers';
export * from './ir/network';
export { readModelFile, detectFormat, type ReadOptions, type ModelFileFormat } from './frontends/read-model-file';
export type { ReadResult } from './frontends/read-result';
export { checkFileSize, MAX_MODEL_FILE_BYTES } from './frontends/limits';
export { summarize, type ModelSummary, type LayerRow, type PartTotal } from './params/summary';
export { formatShape, type Shape } from './params/shapes';
export { parseCount, formatCompact, formatThousands } from './util/parse-count';
export { layerLabel, activationClassName, normClassName } from './describe/layer-label';
export { paramsReport, type ParamsReport } from './params/summary-report';
