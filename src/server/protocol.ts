/** Custom requests between the VS Code client and the language server. */
export const REQUESTS = {
  /** ParamsReport[] of every model in an open document. */
  paramsReports: 'robustnessLens/paramsReports',
  /** ModelSummaryInfo of the document's first model, for the status bar. */
  summary: 'robustnessLens/summary',
  /** Lints every model file of the workspace folders; returns counts. */
  lintWorkspace: 'robustnessLens/lintWorkspace',
} as const;

export interface ModelSummaryInfo {
  readonly name: string;
  /** Everything the framework counts (Keras includes non-trainable weights); null when some layer is unknown. */
  readonly total: number | null;
  readonly knownParams: number;
  readonly budget: number | null;
  readonly models: number;
}

/**
 * Where, under `robustnessLens.python`, the client adds the configured interpreter's `sys.path` to the settings it
 * answers.
 */
export const INTERPRETER_SEARCH_PATH_KEY = 'interpreterSearchPath';
