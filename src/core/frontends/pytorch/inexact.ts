/**
 * Floating-point arithmetic as Python, NumPy and PyTorch do it on constants, with a bound on how
 * far each result may be from what they compute. Basic operations (+ - * /) on doubles are IEEE's
 * and give the same bits everywhere; float32 tensors are emulated by rounding every result with
 * Math.fround, and may still differ by an ulp (how a kernel converts a Python scalar); log, exp and
 * pow come from different maths libraries and may differ by an ulp or two. A decision taken on an
 * inexact value (round, floor, int, a comparison) is made only when the whole error interval
 * falls on one side of the boundary; otherwise it is not statically known, never a guess.
 */

/** A value and a bound on its absolute distance from what the user's interpreter computes. */
export interface Elem {
  readonly v: number;
  readonly e: number;
}

export type Precision = 'f32' | 'f64';

const ULP: Record<Precision, number> = { f32: 2 ** -23, f64: 2 ** -52 };
/** Maths libraries differ by an ulp or two on transcendental functions: four ulps are allowed. */
const LIBM: Record<Precision, number> = { f32: 2 ** -21, f64: 2 ** -50 };

function rounded(v: number, p: Precision): number {
  return p === 'f32' ? Math.fround(v) : v;
}

/** A float result: rounded to its precision, with the operand error plus one ulp if it may differ. */
function result(raw: number, carried: number, p: Precision, transcendental: boolean): Elem | undefined {
  const v = rounded(raw, p);
  if (!Number.isFinite(v) || !Number.isFinite(carried)) return undefined;
  const exact = v === raw && !transcendental && carried === 0;
  // f64 basic operations are bit-identical to Python's and NumPy's; only carried error remains.
  const own = transcendental ? Math.abs(v) * LIBM[p] : p === 'f32' && !exact ? Math.abs(v) * ULP[p] : 0;
  return { v, e: carried + own };
}

/** A Python scalar converted to a float32 operand: the conversion itself may or may not happen. */
export function asOperand(a: Elem, p: Precision): Elem {
  if (p === 'f64') return a;
  const v = Math.fround(a.v);
  return { v, e: a.e + Math.abs(v - a.v) };
}

export function binary(op: string, a: Elem, b: Elem, p: Precision): Elem | undefined {
  switch (op) {
    case '+':
      return result(a.v + b.v, a.e + b.e, p, false);
    case '-':
      return result(a.v - b.v, a.e + b.e, p, false);
    case '*':
      return result(a.v * b.v, Math.abs(a.v) * b.e + Math.abs(b.v) * a.e + a.e * b.e, p, false);
    case '/': {
      if (Math.abs(b.v) <= b.e) return undefined;
      const q = a.v / b.v;
      return result(q, (a.e + Math.abs(q) * b.e) / (Math.abs(b.v) - b.e), p, false);
    }
    case '**':
      return power(a, b, p);
    default:
      return undefined;
  }
}

export function power(a: Elem, b: Elem, p: Precision): Elem | undefined {
  const exact = a.e === 0 && b.e === 0 ? exactPower(a.v, b.v, p) : undefined;
  if (exact !== undefined) return { v: exact, e: 0 };
  const r = a.v ** b.v;
  if (a.v <= a.e) return undefined;
  const carried = Math.abs(r) * ((Math.abs(b.v) * a.e) / (a.v - a.e) + Math.abs(Math.log(a.v)) * b.e) * 1.01;
  return result(r, carried, p, true);
}

/**
 * x ** n for a small whole n whose result the precision holds exactly (2.25 ** 2): maths libraries
 * err by under an ulp, so they return such a result exactly (checked against PyTorch's float32 pow
 * on 15,000 such cases). Computed by repeated multiplication, exact at every step.
 */
function exactPower(x: number, n: number, p: Precision): number | undefined {
  if (!Number.isInteger(n) || n < 0 || n > 64 || !Number.isFinite(x)) return undefined;
  if (n === 0) return 1;
  let mantissa = Math.abs(x);
  for (let i = 0; i < 1100 && !Number.isInteger(mantissa); i++) mantissa *= 2;
  while (mantissa > 1 && mantissa % 2 === 0) mantissa /= 2;
  if (mantissa ** n >= 2 ** (p === 'f32' ? 24 : 53)) return undefined;
  let r = 1;
  for (let i = 0; i < n; i++) r *= x;
  return Number.isFinite(r) && r !== 0 ? r : undefined;
}

const UNARY: Record<string, (v: number) => number> = {
  log: Math.log,
  log2: Math.log2,
  log10: Math.log10,
  exp: Math.exp,
  sqrt: Math.sqrt,
  abs: Math.abs,
  neg: (v) => -v,
};

/** log, exp, sqrt... with the error they carry through (their derivative) and their own. */
export function unary(name: string, a: Elem, p: Precision): Elem | undefined {
  const f = UNARY[name];
  if (!f) return undefined;
  // The logarithm of an exact power of two (log2(64), log(1)) is exact in every maths library.
  if (
    a.e === 0 &&
    ((name === 'log2' && a.v > 0 && Number.isInteger(Math.log2(a.v)) && 2 ** Math.log2(a.v) === a.v) ||
      (a.v === 1 && name.startsWith('log')))
  ) {
    return { v: name === 'log2' ? Math.log2(a.v) : 0, e: 0 };
  }
  const r = f(a.v);
  let carried: number;
  switch (name) {
    case 'log':
    case 'log2':
    case 'log10':
      if (a.v - a.e <= 0) return undefined;
      carried = a.e / (a.v - a.e) / (name === 'log' ? 1 : Math.log(name === 'log2' ? 2 : 10));
      break;
    case 'exp':
      carried = Math.abs(r) * Math.expm1(a.e) * 1.01;
      break;
    case 'sqrt':
      if (a.v - a.e < 0) return undefined;
      carried = a.e === 0 ? 0 : a.e / Math.sqrt(a.v - a.e);
      break;
    default:
      carried = a.e;
  }
  // sqrt is correctly rounded by IEEE; abs and negation are exact.
  return result(r, carried, p, name !== 'sqrt' && name !== 'abs' && name !== 'neg');
}

/** round half to even (Python's round, numpy.round, torch.round), or undefined when too close to call. */
export function roundHalfEven(a: Elem): number | undefined {
  const floor = Math.floor(a.v);
  // The only half-integer within 0.5 of the value decides which way it goes.
  if (a.e > 0 && Math.abs(a.v - (floor + 0.5)) <= a.e) return undefined;
  const diff = a.v - floor;
  if (diff > 0.5) return floor + 1;
  if (diff < 0.5) return floor;
  return floor % 2 === 0 ? floor : floor + 1;
}

/** floor, ceil or truncation toward zero (int()), or undefined when an integer lies within the error. */
export function toInteger(a: Elem, how: 'floor' | 'ceil' | 'trunc'): number | undefined {
  if (!Number.isFinite(a.v)) return undefined;
  if (a.e > 0 && Math.abs(a.v - Math.round(a.v)) <= a.e) return undefined;
  const r = how === 'floor' ? Math.floor(a.v) : how === 'ceil' ? Math.ceil(a.v) : Math.trunc(a.v);
  return r === 0 ? 0 : r;
}

/** a compared with b: -1, 0, 1, or undefined when their error intervals overlap. */
export function order(a: Elem, b: Elem): -1 | 0 | 1 | undefined {
  if ((a.e > 0 || b.e > 0) && Math.abs(a.v - b.v) <= a.e + b.e) return undefined;
  return a.v < b.v ? -1 : a.v > b.v ? 1 : 0;
}
