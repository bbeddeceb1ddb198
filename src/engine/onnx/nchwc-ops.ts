// ORT's blocked-layout (NCHWc) operator domain, and which standard ops may run on blocked values.

/** ORT's operator domain of its blocked-layout CPU kernels (MLAS's NCHWc). */
export const NCHWC_DOMAIN = 'com.microsoft.nchwc';

/** Ops applied element by element, whose inputs of the output's shape may be in any one layout. */
export const ELEMENTWISE = new Set([
  'Abs',
  'Add',
  'And',
  'Cast',
  'Clip',
  'Div',
  'Elu',
  'Equal',
  'Erf',
  'Exp',
  'Greater',
  'GreaterOrEqual',
  'HardSigmoid',
  'Identity',
  'LeakyRelu',
  'Less',
  'LessOrEqual',
  'Log',
  'Max',
  'Min',
  'Mul',
  'Neg',
  'Not',
  'Or',
  'Pow',
  'Reciprocal',
  'Relu',
  'Sigmoid',
  'Sign',
  'Softplus',
  'Sqrt',
  'Sub',
  'Sum',
  'Tanh',
  'Where',
  'Xor',
]);

/** Element-wise ops whose output is boolean: ORT reorders float tensors only. */
export const BOOLEAN = new Set([
  'And',
  'Equal',
  'Greater',
  'GreaterOrEqual',
  'Less',
  'LessOrEqual',
  'Not',
  'Or',
  'Xor',
]);
