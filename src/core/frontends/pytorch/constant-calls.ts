import {
  converted,
  elementwise,
  fromList,
  isShaped,
  mapElements,
  numberOf,
  reduce,
  sequence,
  toList,
} from './tensor-constants';
import { type ArrayData, type PyValue } from './values';

/**
 * torch.* and numpy.* functions, and tensor and array methods, on constant values: what a model
 * computes its widths and depths from. Undefined where the call is not one of these, or its
 * arguments are not constants: the caller then treats it as any call it cannot follow.
 */

type Lib = ArrayData['lib'];
type Shaped = { kind: 'array'; shape: number[]; data: ArrayData };

const ELEMENTWISE: Record<string, string> = {
  pow: '**',
  power: '**',
  divide: '/',
  div: '/',
  true_divide: '/',
  multiply: '*',
  mul: '*',
  add: '+',
  subtract: '-',
  sub: '-',
  floor_divide: '//',
  remainder: '%',
  mod: '%',
};
const UNARY = new Set(['log', 'log2', 'log10', 'exp', 'sqrt', 'abs', 'round', 'floor', 'ceil', 'trunc', 'rint']);
const REDUCTIONS = new Set(['sum', 'prod', 'cumsum', 'diff', 'min', 'max', 'mean', 'amin', 'amax']);

/** A NumPy result of no dimensions is a NumPy scalar, which behaves as a Python number. */
function scalarized(value: PyValue | undefined, lib: Lib): PyValue | undefined {
  if (lib !== 'numpy' || !isShaped(value) || value.shape.length > 0) return value;
  return toList(value);
}

/** The dtype a `dtype=` argument or an astype() names: torch.int64, numpy.float32, int, float... */
function dtypeNamed(value: PyValue | undefined, lib: Lib): ArrayData['dtype'] | undefined {
  const name =
    value?.kind === 'namespace'
      ? (value.path.split('.').pop() ?? '')
      : value?.kind === 'builtin'
        ? value.name
        : value?.kind === 'string'
          ? value.value
          : '';
  if (/^(u?int\d*|long|short|int_)$/.test(name)) return 'int';
  if (/^(float32|float|single)$/.test(name))
    return name === 'float' && (value?.kind === 'builtin' || lib === 'numpy') ? 'float64' : 'float32';
  if (/^(float64|double|float_)$/.test(name)) return 'float64';
  if (/^bool_?$/.test(name)) return 'bool';
  return undefined;
}

function withDtype(value: PyValue | undefined, dtype: PyValue | undefined, lib: Lib): PyValue | undefined {
  if (!dtype || dtype.kind === 'none' || !isShaped(value)) return value;
  const named = dtypeNamed(dtype, lib);
  return named ? converted(value, named) : undefined;
}

export function constantCall(path: string, positional: PyValue[], keywords: Map<string, PyValue>): PyValue | undefined {
  const [root, name = '', extra] = path.split('.');
  const lib: Lib | undefined = root === 'torch' ? 'torch' : root === 'numpy' ? 'numpy' : undefined;
  if (!lib || extra !== undefined) return undefined;
  const [first, second] = positional;
  const dtype = keywords.get('dtype');
  switch (name) {
    case 'arange': {
      const start = keywords.get('start');
      const args = start
        ? [start, keywords.get('end') ?? keywords.get('stop'), keywords.get('step')]
        : [...positional, keywords.get('step')].slice(0, 3);
      return withDtype(
        sequence(
          'arange',
          lib,
          args.filter((a) => a !== undefined),
        ),
        dtype,
        lib,
      );
    }
    case 'linspace':
      return withDtype(
        sequence('linspace', lib, [
          first ?? keywords.get('start'),
          second ?? keywords.get('end') ?? keywords.get('stop'),
          positional[2] ?? keywords.get('steps') ?? keywords.get('num'),
        ]),
        dtype,
        lib,
      );
    case 'tensor':
    case 'as_tensor':
    case 'array':
    case 'asarray':
      return first ? withDtype(fromList(first, lib), dtype, lib) : undefined;
    default:
      break;
  }
  // torch's maths functions take tensors; NumPy's take Python numbers and lists too.
  const operandOk = (v: PyValue | undefined): boolean =>
    isShaped(v) || (lib === 'numpy' && v !== undefined && fromList(v, lib) !== undefined);
  const op = ELEMENTWISE[name];
  if (op && first && second && (operandOk(first) || operandOk(second)))
    return scalarized(elementwise(op, first, second), lib);
  if (name === 'negative' && operandOk(first) && first) return scalarized(mapElements('neg', first, lib), lib);
  if (
    UNARY.has(name) &&
    operandOk(first) &&
    first &&
    (positional.length === 1 || (name === 'round' && lib === 'numpy' && asDecimals(second) === 0))
  ) {
    return scalarized(mapElements(name, first, lib), lib);
  }
  if (REDUCTIONS.has(name) && operandOk(first) && first && positional.length === 1 && keywords.size === 0) {
    return scalarized(reduce(name.replace(/^a(min|max)$/, '$1'), first, lib), lib);
  }
  return undefined;
}

function asDecimals(value: PyValue | undefined): number | undefined {
  return value === undefined ? 0 : value.kind === 'number' && value.isInt ? value.value : undefined;
}

/** A method of a constant tensor or array: casts, tolist(), item(), maths, reductions. */
export function constantMethod(
  self: PyValue,
  name: string,
  positional: PyValue[],
  keywords: Map<string, PyValue>,
): PyValue | undefined {
  if (!isShaped(self)) return undefined;
  const array: Shaped = self;
  const lib = array.data.lib;
  switch (name) {
    case 'int':
    case 'long':
    case 'short':
      return converted(array, 'int');
    case 'float':
      return converted(array, 'float32');
    case 'double':
      return converted(array, 'float64');
    case 'bool':
      return converted(array, 'bool');
    case 'astype':
    case 'to':
    case 'type': {
      const named = dtypeNamed(positional[0] ?? keywords.get('dtype'), lib);
      return named ? converted(array, named) : undefined;
    }
    case 'tolist':
      return toList(array);
    case 'item':
      return array.data.values.length === 1
        ? numberOf({ v: array.data.values[0] ?? 0, e: array.data.errs[0] ?? 0 }, array.data.dtype === 'int')
        : undefined;
    case 'numel':
      return numberOf({ v: array.data.values.length, e: 0 }, true);
    case 'clone':
    case 'detach':
    case 'contiguous':
    case 'cpu':
    case 'copy':
      return array;
    default:
      break;
  }
  if (UNARY.has(name) && positional.length === 0) return scalarized(mapElements(name, array, lib), lib);
  if (REDUCTIONS.has(name) && positional.length === 0 && keywords.size === 0)
    return scalarized(reduce(name, array, lib), lib);
  return undefined;
}
