/** Layers without parameters that act as the identity at evaluation time, on every back end. */
export const PASS_THROUGH: ReadonlySet<string> = new Set([
  'Dropout',
  'Dropout2d',
  'Dropout1d',
  'AlphaDropout',
  'DropPath',
  'StochasticDepth',
]);
