import { asOperand, binary, order, roundHalfEven, toInteger, unary, type Elem, type Precision } from './inexact';
import { num, unknownValue, type ArrayData, type PyValue } from './values';

/**
 * Constant tensors and NumPy arrays that model code computes its widths from (RegNet's
 * `torch.arange(depth) * w_a + w_0`, `numpy.linspace(0, p, n)`): their values, element by element,
 * with the dtype rules of each library and an error bound on every float (see inexact.ts).
 * Anything else (a shape not known, broadcasting beyond a scalar) is left to the caller.
 */

type Lib = ArrayData['lib'];
type Dtype = ArrayData['dtype'];
type Shaped = { kind: 'array'; shape: number[]; data: ArrayData };

/** Constant arrays past this many elements are kept by shape only. */
const MAX_ELEMENTS = 10_000;

const TOO_CLOSE = 'a rounding or comparison of floats too close to its boundary to decide statically';

export function elemOf(value: PyValue | undefined): Elem | undefined {
  if (value?.kind === 'number') return { v: value.value, e: value.err ?? 0 };
  if (value?.kind === 'bool') return { v: value.value ? 1 : 0, e: 0 };
  return undefined;
}

/** A Python number from an element: an int, or a float carrying its error bound. */
export function numberOf(elem: Elem, isInt: boolean): PyValue {
  if (isInt && !Number.isSafeInteger(elem.v))
    return unknownValue('an integer past 2^53, which is not computed exactly here');
  return elem.e > 0 && !isInt ? { kind: 'number', value: elem.v, isInt: false, err: elem.e } : num(elem.v, isInt);
}

export function arrayOf(values: number[], errs: number[], dtype: Dtype, lib: Lib, shape = [values.length]): PyValue {
  return { kind: 'array', shape, data: { values, errs, dtype, lib } };
}

function isShaped(value: PyValue | undefined): value is Shaped {
  return value?.kind === 'array' && value.data !== undefined;
}

function precisionOf(dtypes: Dtype[], lib: Lib): Precision {
  return lib === 'numpy' || dtypes.includes('float64') ? 'f64' : 'f32';
}

/** torch.tensor / numpy.array of a (nested) list of numbers; undefined if an item is not a number. */
export function fromList(value: PyValue, lib: Lib): Shaped | undefined {
  if (isShaped(value)) return value;
  const scalar = elemOf(value);
  if (scalar && value.kind !== 'list') {
    const dtype: Dtype =
      value.kind === 'bool'
        ? 'bool'
        : value.kind === 'number' && value.isInt
          ? 'int'
          : lib === 'torch'
            ? 'float32'
            : 'float64';
    return { kind: 'array', shape: [], data: { values: [scalar.v], errs: [scalar.e], dtype, lib } };
  }
  if (value.kind !== 'list' || value.tainted) return undefined;
  const rows = value.items.map((item) => fromList(item, lib));
  if (rows.some((r) => r === undefined)) return undefined;
  const shaped = rows as Shaped[];
  const inner = shaped[0]?.shape ?? [];
  if (shaped.some((r) => r.shape.join() !== inner.join())) return undefined;
  const dtypes = shaped.map((r) => r.data.dtype);
  const dtype: Dtype = dtypes.some((d) => d.startsWith('float'))
    ? lib === 'torch'
      ? 'float32'
      : 'float64'
    : dtypes.length > 0 && dtypes.every((d) => d === 'bool')
      ? 'bool'
      : dtypes.length === 0 && lib === 'torch'
        ? 'float32'
        : 'int';
  const values = shaped.flatMap((r) => r.data.values);
  const errs = shaped.flatMap((r) => r.data.errs);
  return converted(
    { kind: 'array', shape: [shaped.length, ...inner], data: { values, errs, dtype: 'float64', lib } },
    dtype,
  ) as Shaped;
}

/** .int(), .float(), astype(...): a cast, truncating floats toward zero as both libraries do. */
export function converted(array: Shaped, dtype: Dtype): PyValue {
  const { values, errs } = array.data;
  if (dtype === 'int') {
    const out: number[] = [];
    for (let i = 0; i < values.length; i++) {
      const v = toInteger({ v: values[i] ?? 0, e: errs[i] ?? 0 }, 'trunc');
      if (v === undefined) return unknownValue(TOO_CLOSE);
      out.push(v);
    }
    return arrayOf(
      out,
      out.map(() => 0),
      'int',
      array.data.lib,
      array.shape,
    );
  }
  if (dtype === 'bool')
    return arrayOf(
      values.map((v) => (v !== 0 ? 1 : 0)),
      values.map(() => 0),
      'bool',
      array.data.lib,
      array.shape,
    );
  const p: Precision = dtype === 'float32' ? 'f32' : 'f64';
  const elems = values.map((v, i) => asOperand({ v, e: errs[i] ?? 0 }, p));
  return arrayOf(
    elems.map((e) => e.v),
    elems.map((e) => e.e),
    dtype,
    array.data.lib,
    array.shape,
  );
}

const COMPARISONS = new Set(['<', '>', '<=', '>=', '==', '!=']);

/** An element-wise operation of a constant array with a number or an array of the same shape. */
export function elementwise(op: string, l: PyValue, r: PyValue): PyValue | undefined {
  const lib = isShaped(l) ? l.data.lib : isShaped(r) ? r.data.lib : undefined;
  if (!lib) return undefined;
  const a = fromList(l, lib);
  const b = fromList(r, lib);
  if (!a || !b) return undefined;
  const shape = a.shape.length === 0 ? b.shape : a.shape;
  const size = (s: Shaped): number => s.data.values.length;
  if (a.shape.length > 0 && b.shape.length > 0 && a.shape.join() !== b.shape.join()) return undefined;
  // A Python scalar does not promote a tensor's dtype (an int tensor times 0.5 is float32, not float64).
  const p = precisionOf(
    [l, r].filter(isShaped).map((s) => s.data.dtype),
    lib,
  );
  const ints = [a, b].every((s) => s.data.dtype === 'int' || s.data.dtype === 'bool');
  const values: number[] = [];
  const errs: number[] = [];
  const length = Math.max(size(a), size(b));
  for (let i = 0; i < length; i++) {
    const x: Elem = { v: a.data.values[size(a) === 1 ? 0 : i] ?? 0, e: a.data.errs[size(a) === 1 ? 0 : i] ?? 0 };
    const y: Elem = { v: b.data.values[size(b) === 1 ? 0 : i] ?? 0, e: b.data.errs[size(b) === 1 ? 0 : i] ?? 0 };
    if (COMPARISONS.has(op)) {
      const o = order(x, y);
      if (o === undefined) return unknownValue(TOO_CLOSE);
      const truth =
        op === '<'
          ? o < 0
          : op === '>'
            ? o > 0
            : op === '<='
              ? o <= 0
              : op === '>='
                ? o >= 0
                : op === '=='
                  ? o === 0
                  : o !== 0;
      values.push(truth ? 1 : 0);
      errs.push(0);
      continue;
    }
    const out = ints && op !== '/' ? integerOp(op, x.v, y.v) : floatOp(op, x, y, p);
    if (out === undefined) return unknownValue(`${op} on constant tensors that is not computed statically`);
    values.push(out.v);
    errs.push(out.e);
  }
  const dtype: Dtype = COMPARISONS.has(op) ? 'bool' : ints && op !== '/' ? 'int' : p === 'f32' ? 'float32' : 'float64';
  return arrayOf(values, errs, dtype, lib, shape);
}

function integerOp(op: string, a: number, b: number): Elem | undefined {
  let v: number;
  switch (op) {
    case '+':
      v = a + b;
      break;
    case '-':
      v = a - b;
      break;
    case '*':
      v = a * b;
      break;
    case '//':
      if (b === 0) return undefined;
      v = Math.floor(a / b);
      break;
    case '%':
      if (b === 0) return undefined;
      v = ((a % b) + b) % b;
      break;
    case '**':
      if (b < 0) return undefined;
      v = a ** b;
      break;
    default:
      return undefined;
  }
  return Number.isSafeInteger(v) ? { v, e: 0 } : undefined;
}

function floatOp(op: string, a: Elem, b: Elem, p: Precision): Elem | undefined {
  if (op === '//' || op === '%') {
    const q = binary('/', asOperand(a, p), asOperand(b, p), p);
    const floor = q && toInteger(q, 'floor');
    if (floor === undefined || !q) return undefined;
    return op === '//' ? { v: floor, e: 0 } : binary('-', a, { v: floor * b.v, e: Math.abs(floor) * b.e }, p);
  }
  return binary(op, asOperand(a, p), asOperand(b, p), p);
}

/** log, exp, sqrt, abs, negation, round, floor, ceil, trunc on every element (or on a Python number). */
export function mapElements(name: string, value: PyValue, lib: Lib): PyValue | undefined {
  const array = fromList(value, lib);
  if (!array) return undefined;
  const { values, errs, dtype } = array.data;
  const toInt = name === 'round' || name === 'floor' || name === 'ceil' || name === 'trunc' || name === 'rint';
  if (toInt && dtype === 'int') return array;
  const p = precisionOf([dtype], lib);
  const outValues: number[] = [];
  const outErrs: number[] = [];
  for (let i = 0; i < values.length; i++) {
    const x = asOperand({ v: values[i] ?? 0, e: errs[i] ?? 0 }, p);
    const out = toInt
      ? name === 'round' || name === 'rint'
        ? roundHalfEven(x)
        : toInteger(x, name as 'floor' | 'ceil' | 'trunc')
      : unary(name, x, p);
    if (out === undefined) return unknownValue(toInt ? TOO_CLOSE : `${name} of a value out of its domain`);
    outValues.push(typeof out === 'number' ? out : out.v);
    outErrs.push(typeof out === 'number' ? 0 : out.e);
  }
  const outType: Dtype =
    dtype === 'int' && (name === 'abs' || name === 'neg') ? 'int' : p === 'f32' ? 'float32' : 'float64';
  return arrayOf(outValues, outErrs, outType, lib, array.shape);
}

/** sum, prod, cumsum, diff, min, max, mean over all elements (diff and cumsum along a 1-D array). */
export function reduce(name: string, value: PyValue, lib: Lib): PyValue | undefined {
  const array = fromList(value, lib);
  if (!array) return undefined;
  const { values, errs, dtype } = array.data;
  const ints = dtype === 'int' || dtype === 'bool';
  const p = precisionOf([dtype], lib);
  const elems: Elem[] = values.map((v, i) => ({ v, e: errs[i] ?? 0 }));
  const combine = (op: string, x: Elem, y: Elem): Elem | undefined =>
    ints ? integerOp(op, x.v, y.v) : floatOp(op, x, y, p);
  // NumPy sums floats pairwise, not left to right: allow an ulp of the running total per element,
  // unless every partial result in any order is exact (integers whose magnitudes combine below 2^24).
  const exactInts =
    elems.every((e) => e.e === 0 && Number.isInteger(e.v)) &&
    elems.reduce((s, e) => (name === 'prod' ? s * Math.abs(e.v) : s + Math.abs(e.v)), name === 'prod' ? 1 : 0) <
      2 ** (p === 'f32' ? 24 : 53);
  const slack = (e: Elem | undefined, n: number): Elem | undefined =>
    e && !ints && !exactInts ? { v: e.v, e: e.e + n * Math.abs(e.v) * 2 ** (p === 'f32' ? -23 : -52) } : e;
  const outType: Dtype = ints && name !== 'mean' ? 'int' : p === 'f32' ? 'float32' : 'float64';
  const scalar = (e: Elem | undefined, type: Dtype = outType): PyValue | undefined => {
    if (!e) return unknownValue(`${name} of constant values that is not computed statically`);
    return lib === 'numpy' ? numberOf(e, type === 'int') : arrayOf([e.v], [e.e], type, lib, []);
  };
  switch (name) {
    case 'sum':
    case 'prod': {
      let total: Elem | undefined = { v: name === 'sum' ? 0 : 1, e: 0 };
      for (const e of elems) total = total && combine(name === 'sum' ? '+' : '*', total, e);
      return scalar(slack(total, elems.length));
    }
    case 'mean': {
      let total: Elem | undefined = { v: 0, e: 0 };
      for (const e of elems) total = total && floatOp('+', total, e, p);
      return elems.length === 0
        ? undefined
        : scalar(total && floatOp('/', slack(total, elems.length) ?? total, { v: elems.length, e: 0 }, p));
    }
    case 'min':
    case 'max': {
      let best = elems[0];
      for (const e of elems.slice(1)) {
        const o = best && order(e, best);
        if (o === undefined) return unknownValue(TOO_CLOSE);
        if ((name === 'min' && o < 0) || (name === 'max' && o > 0)) best = e;
      }
      return scalar(best, dtype);
    }
    case 'cumsum':
    case 'diff': {
      if (array.shape.length !== 1) return undefined;
      const out: Elem[] = [];
      for (let i = name === 'diff' ? 1 : 0; i < elems.length; i++) {
        const e = elems[i] as Elem;
        const next =
          name === 'diff'
            ? combine('-', e, elems[i - 1] as Elem)
            : i === 0
              ? e
              : out[i - 1] && combine('+', out[i - 1] as Elem, e);
        if (!next) return unknownValue(`${name} of constant values that is not computed statically`);
        out.push(next);
      }
      return arrayOf(
        out.map((e) => e.v),
        out.map((e) => e.e),
        ints ? 'int' : outType,
        lib,
      );
    }
    default:
      return undefined;
  }
}

/** torch.arange / numpy.arange and linspace, within MAX_ELEMENTS. */
export function sequence(name: 'arange' | 'linspace', lib: Lib, args: (PyValue | undefined)[]): PyValue | undefined {
  const nums = args.map(elemOf);
  if (args.some((a, i) => a !== undefined && nums[i] === undefined)) return undefined;
  const ints = args.every((a) => a === undefined || a.kind === 'bool' || (a.kind === 'number' && a.isInt));
  const p: Precision = lib === 'torch' ? 'f32' : 'f64';
  if (name === 'arange') {
    const given = nums.filter((e): e is Elem => e !== undefined);
    if (given.some((e) => e.e > 0)) return undefined;
    const [start, stop, step] =
      given.length === 1 ? [0, given[0]?.v ?? 0, 1] : [given[0]?.v ?? 0, given[1]?.v ?? 0, given[2]?.v ?? 1];
    if (step === 0) return undefined;
    const length = Math.max(0, Math.ceil((stop - start) / step));
    if (length > MAX_ELEMENTS) return undefined;
    const values = Array.from({ length }, (_, i) =>
      ints ? start + i * step : p === 'f32' ? Math.fround(start + i * step) : start + i * step,
    );
    // Float steps accumulate differently in each library: an ulp per element of slack.
    const errs = values.map((v, i) => (ints ? 0 : Math.abs(v) * i * 2 ** (p === 'f32' ? -22 : -50)));
    return arrayOf(values, errs, ints ? 'int' : p === 'f32' ? 'float32' : 'float64', lib);
  }
  const [start, stop, count] = nums;
  const n = count?.v ?? (lib === 'numpy' && args[2] === undefined ? 50 : undefined);
  if (!start || !stop || n === undefined || !Number.isInteger(n) || n < 0 || n > MAX_ELEMENTS || (count && count.e > 0))
    return undefined;
  const step = n > 1 ? (stop.v - start.v) / (n - 1) : 0;
  const values = Array.from({ length: n }, (_, i) => (i === n - 1 && n > 1 ? stop.v : start.v + i * step));
  const errs = values.map(
    (v) => start.e + stop.e + (Math.abs(v) + Math.abs(start.v) + Math.abs(stop.v)) * 2 ** (p === 'f32' ? -21 : -49),
  );
  const rounded = p === 'f32' ? values.map(Math.fround) : values;
  return arrayOf(rounded, errs, p === 'f32' ? 'float32' : 'float64', lib);
}

/** .tolist(): Python numbers (nested lists for several dimensions). */
export function toList(array: Shaped): PyValue {
  const { values, errs, dtype } = array.data;
  const build = (shape: number[], offset: number): PyValue => {
    if (shape.length === 0) {
      const e = { v: values[offset] ?? 0, e: errs[offset] ?? 0 };
      return dtype === 'bool' ? { kind: 'bool', value: e.v !== 0 } : numberOf(e, dtype === 'int');
    }
    const [first = 0, ...rest] = shape;
    const stride = rest.reduce((s, d) => s * d, 1);
    return {
      kind: 'list',
      items: Array.from({ length: first }, (_, i) => build(rest, offset + i * stride)),
      tuple: false,
    };
  };
  return build(array.shape, 0);
}

export { isShaped };
