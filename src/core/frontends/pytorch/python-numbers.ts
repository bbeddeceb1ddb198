import { binary, roundHalfEven, toInteger, unary, type Elem } from './inexact';
import { elemOf, isShaped, numberOf, toList } from './tensor-constants';
import { num, unknownValue, type PyValue } from './values';

/**
 * Python's numbers where a float may be inexact (from math.log, or a float32 tensor's tolist()):
 * int(), round(), math.floor and friends decide only when the error bound allows (inexact.ts).
 */

const TOO_CLOSE = 'a rounding of a float too close to its boundary to decide statically';

/** A number, or a constant tensor or array of one element, as an element. */
function scalarElem(value: PyValue | undefined): Elem | undefined {
  if (isShaped(value) && value.data?.values.length === 1)
    return { v: value.data.values[0] ?? 0, e: value.data.errs[0] ?? 0 };
  return elemOf(value);
}

function isIntValue(value: PyValue | undefined): boolean {
  if (isShaped(value)) return value.data?.dtype === 'int' || value.data?.dtype === 'bool';
  return value?.kind === 'bool' || (value?.kind === 'number' && value.isInt);
}

/** int(x): truncation toward zero. */
export function pyInt(value: PyValue | undefined): PyValue {
  const e = scalarElem(value);
  if (!e) return unknownValue('int of an unknown value');
  if (isIntValue(value)) return num(e.v, true);
  const v = toInteger(e, 'trunc');
  return v === undefined ? unknownValue(TOO_CLOSE) : num(v, true);
}

export function pyFloat(value: PyValue | undefined): PyValue {
  const e = scalarElem(value);
  return e ? numberOf(e, false) : unknownValue('float of an unknown value');
}

/** round(x) and round(x, n): half to even. */
export function pyRound(value: PyValue | undefined, digits: PyValue | undefined): PyValue {
  const e = scalarElem(value);
  if (!e) return unknownValue('round of an unknown value');
  if (digits !== undefined && digits.kind !== 'none') {
    const n = digits.kind === 'number' && digits.isInt ? digits.value : undefined;
    if (n === undefined) return unknownValue('round to an unknown number of digits');
    // Python rounds the exact decimal value of the double: only an exact, far-from-half value is safe here.
    const scale = 10 ** n;
    const r = roundHalfEven({ v: e.v * scale, e: e.e * scale + Math.abs(e.v * scale) * 2 ** -50 });
    return r === undefined ? unknownValue(TOO_CLOSE) : num(r / scale, isIntValue(value));
  }
  if (isIntValue(value)) return num(e.v, true);
  const r = roundHalfEven(e);
  return r === undefined ? unknownValue(TOO_CLOSE) : num(r, true);
}

export function pyAbs(value: PyValue | undefined): PyValue {
  const e = scalarElem(value);
  return e ? numberOf({ v: Math.abs(e.v), e: e.e }, isIntValue(value)) : unknownValue('abs of an unknown value');
}

/** Arithmetic on Python numbers of which one carries an error bound. */
export function inexactArithmetic(op: string, l: PyValue, r: PyValue): PyValue | undefined {
  const a = elemOf(l);
  const b = elemOf(r);
  if (!a || !b) return undefined;
  if (op === '//' || op === '%') {
    const q = binary('/', a, b, 'f64');
    const floor = q && toInteger(q, 'floor');
    if (!q || floor === undefined) return unknownValue(TOO_CLOSE);
    if (op === '//') return num(floor, false);
    const rest = binary('-', a, { v: floor * b.v, e: Math.abs(floor) * b.e }, 'f64');
    return rest ? numberOf(rest, false) : unknownValue(TOO_CLOSE);
  }
  const out = binary(op, a, b, 'f64');
  return out ? numberOf(out, false) : unknownValue(`${op} on floats that is not computed statically`);
}

/** math.log, exp, sqrt, floor, ceil, pow, prod... on Python numbers. */
export function mathCall(name: string, positional: PyValue[]): PyValue | undefined {
  const [first, second] = positional;
  const x = scalarElem(first);
  switch (name) {
    case 'floor':
    case 'ceil':
    case 'trunc': {
      if (!x) return unknownValue(`math.${name} of an unknown value`);
      if (isIntValue(first)) return num(x.v, true);
      const v = toInteger(x, name);
      return v === undefined ? unknownValue(TOO_CLOSE) : num(v, true);
    }
    case 'log':
    case 'log2':
    case 'log10':
    case 'exp':
    case 'sqrt': {
      if (!x) return unknownValue(`math.${name} of an unknown value`);
      let out = unary(name, x, 'f64');
      // math.log(x, base) divides two logarithms.
      if (name === 'log' && second) {
        const base = scalarElem(second);
        const lb = base && unary('log', base, 'f64');
        out = out && lb && binary('/', out, lb, 'f64');
      }
      return out ? numberOf(out, false) : unknownValue(`math.${name} of a value out of its domain`);
    }
    case 'pow': {
      const y = scalarElem(second);
      const out = x && y && binary('**', { v: x.v, e: x.e }, y, 'f64');
      return out ? numberOf(out, false) : unknownValue('math.pow of unknown values');
    }
    case 'prod':
    case 'fsum': {
      const items =
        first?.kind === 'list' && !first.tainted
          ? first.items
          : isShaped(first)
            ? (toList(first) as { items?: PyValue[] }).items
            : undefined;
      if (!items) return unknownValue(`math.${name} of an unknown value`);
      let total: Elem | undefined = { v: name === 'prod' ? 1 : 0, e: 0 };
      for (const item of items) {
        const e = elemOf(item);
        total = total && e && binary(name === 'prod' ? '*' : '+', total, e, 'f64');
      }
      const ints = items.every(isIntValue);
      return total ? numberOf(total, ints && name === 'prod') : unknownValue(`math.${name} of unknown values`);
    }
    default:
      return undefined;
  }
}

/** Constants of the math module, as Python has them. */
export const MATH_CONSTANTS: Record<string, number> = { pi: Math.PI, e: Math.E, tau: 2 * Math.PI };
