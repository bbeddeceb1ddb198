import { asNumber, num, unknownValue, type PyValue } from './values';
import { inherits } from './classes';
import { order, type Elem } from './inexact';
import { elemOf } from './tensor-constants';

/** Python's operations on the values the evaluator knows: comparisons, formatting, keys, isinstance. */

/** A number from arithmetic: an integer past 2^53 is no longer exact in a double, so it is unknown. */
export function exactNumber(value: number, isInt: boolean): PyValue {
  if (isInt && !Number.isSafeInteger(value))
    return unknownValue('an integer past 2^53, which is not computed exactly here');
  if (!Number.isFinite(value)) return unknownValue('a number too large to compute');
  return num(value, isInt);
}

/** A dict key as the evaluator stores it, or undefined when it cannot tell which key it is. */
export function keyText(key: PyValue): string | undefined {
  if (key.kind === 'string') return key.value;
  if (key.kind === 'number' && Number.isInteger(key.value)) return String(key.value);
  return undefined;
}

export function displayString(value: PyValue): string | undefined {
  if (value.kind === 'string') return value.value;
  if (value.kind === 'number') return value.isInt ? String(value.value) : String(value.value);
  if (value.kind === 'bool') return value.value ? 'True' : 'False';
  return undefined;
}

/** "denseblock%d" % (i + 1): %d, %i, %s and %% only. */
export function percentFormat(template: string, args: PyValue[]): PyValue {
  let index = 0;
  let failed = false;
  const out = template.replace(/%([dis%])/g, (_, spec: string) => {
    if (spec === '%') return '%';
    const value = args[index++];
    const text = value ? displayString(value) : undefined;
    if (text === undefined) failed = true;
    return spec === 's' ? (text ?? '') : String(Math.trunc(Number(text)));
  });
  return failed || index !== args.length ? unknownValue('string formatting') : { kind: 'string', value: out };
}

export function stringValue(text: string): string {
  const match = /^[rbuRBU]*("""|'''|"|')([\s\S]*)\1$/.exec(text);
  return match?.[2] ?? text;
}

export function compareValues(op: string, l: PyValue, r: PyValue): boolean | undefined {
  if (op === 'is' || op === 'is not' || op === '==' || op === '!=') {
    const same = sameValue(l, r);
    if (same === undefined) return undefined;
    return op === 'is' || op === '==' ? same : !same;
  }
  if (op === 'in' || op === 'not in') {
    if (r.kind !== 'list' && r.kind !== 'dict' && r.kind !== 'string') return undefined;
    const found =
      r.kind === 'dict'
        ? r.entries.has(l.kind === 'string' ? l.value : String(asNumber(l)))
        : r.kind === 'string'
          ? l.kind === 'string'
            ? r.value.includes(l.value)
            : undefined
          : inList(r.items, l);
    if (found === undefined) return undefined;
    return op === 'in' ? found : !found;
  }
  const a = elemOf(l);
  const b = elemOf(r);
  // A float carrying an error bound compares only when the bounds keep the two apart.
  const o = a && b ? order(a, b) : undefined;
  if (o === undefined) return undefined;
  switch (op) {
    case '<':
      return o < 0;
    case '>':
      return o > 0;
    case '<=':
      return o <= 0;
    case '>=':
      return o >= 0;
    default:
      return undefined;
  }
}

/** Whether a list holds a value: undefined when an item it cannot compare might be it. */
export function inList(items: readonly PyValue[], value: PyValue): boolean | undefined {
  let unsure = false;
  for (const item of items) {
    const same = sameValue(item, value);
    if (same === true) return true;
    if (same === undefined) unsure = true;
  }
  return unsure ? undefined : false;
}

export function sameValue(l: PyValue, r: PyValue): boolean | undefined {
  if (l.kind === 'unknown' || r.kind === 'unknown' || l.kind === 'tensor' || r.kind === 'tensor') return undefined;
  // A name imported from a module not read could be any value.
  if (l.kind === 'namespace' || r.kind === 'namespace')
    return l.kind === 'namespace' && r.kind === 'namespace' && l.path === r.path ? true : undefined;
  if (l.kind === 'none' || r.kind === 'none') return l.kind === r.kind;
  if ((l.kind === 'number' || l.kind === 'bool') && (r.kind === 'number' || r.kind === 'bool')) {
    const o = order(elemOf(l) as Elem, elemOf(r) as Elem);
    return o === undefined ? undefined : o === 0;
  }
  if (l.kind === 'string' && r.kind === 'string') return l.value === r.value;
  if (l.kind === 'torchClass' && r.kind === 'torchClass') return l.name === r.name;
  if (l.kind === 'userClass' && r.kind === 'userClass') return l.cls === r.cls;
  if (l.kind === 'module' && r.kind === 'module') return l.module === r.module;
  // Builtin classes (int, NoneType...) are themselves; a bound method is never one of them.
  if (l.kind === 'builtin' && r.kind === 'builtin' && !l.self && !r.self) return l.name === r.name;
  if (l.kind !== r.kind) return false;
  return undefined;
}

export function isInstance(value: PyValue | undefined, cls: PyValue | undefined): PyValue {
  if (!value || !cls) return unknownValue('isinstance');
  const classes = cls.kind === 'list' ? cls.items : [cls];
  let unsure = false;
  for (const c of classes) {
    const match = instanceOf(value, c);
    if (match === true) return { kind: 'bool', value: true };
    if (match === undefined) unsure = true;
  }
  return unsure ? unknownValue('isinstance against a class not statically known') : { kind: 'bool', value: false };
}

/** type(x): the class of a value the evaluator can tell, else unknown. */
export function typeOfValue(value: PyValue): PyValue {
  switch (value.kind) {
    case 'none':
      return { kind: 'builtin', name: 'NoneType' };
    case 'number':
      return { kind: 'builtin', name: value.isInt ? 'int' : 'float' };
    case 'bool':
      return { kind: 'builtin', name: 'bool' };
    case 'string':
      return { kind: 'builtin', name: 'str' };
    case 'list':
      return { kind: 'builtin', name: value.tuple ? 'tuple' : 'list' };
    case 'dict':
      return { kind: 'builtin', name: 'dict' };
    case 'module':
      if (value.module.userClass) return { kind: 'userClass', cls: value.module.userClass };
      return { kind: 'torchClass', name: value.module.className, preset: new Map() };
    default:
      return unknownValue('the type of a value not statically known');
  }
}

/** typing and collections.abc types by what they accept, for the values that can be told apart. */
const ABSTRACT_TYPES: Record<string, readonly string[]> = {
  Sequence: ['list', 'tuple', 'string'],
  MutableSequence: ['list'],
  List: ['list'],
  Tuple: ['tuple'],
  Iterable: ['list', 'tuple', 'string', 'dict'],
  Collection: ['list', 'tuple', 'string', 'dict'],
  Mapping: ['dict'],
  MutableMapping: ['dict'],
  Dict: ['dict'],
  OrderedDict: ['dict'],
};

function instanceOf(value: PyValue, c: PyValue): boolean | undefined {
  if (value.kind === 'unknown' || value.kind === 'namespace' || value.kind === 'tensor') return undefined;
  const kind = value.kind === 'list' ? (value.tuple ? 'tuple' : 'list') : value.kind;
  switch (c.kind) {
    case 'torchClass':
      return value.kind === 'module' && (c.name === value.module.className || c.name === 'Module');
    case 'userClass':
      return value.kind === 'module' && value.module.userClass !== undefined && inherits(value.module.userClass, c.cls);
    case 'builtin':
      switch (c.name) {
        case 'int':
          return (value.kind === 'number' && value.isInt) || value.kind === 'bool';
        case 'float':
          return value.kind === 'number' && !value.isInt;
        case 'bool':
          return value.kind === 'bool';
        case 'str':
          return value.kind === 'string';
        case 'list':
        case 'tuple':
        case 'dict':
          return kind === c.name;
        // Dicts and OrderedDicts are not told apart here.
        case 'OrderedDict':
          return kind === 'dict' ? undefined : false;
        case 'object':
          return true;
        case 'NoneType':
          return value.kind === 'none';
        default:
          return undefined;
      }
    case 'namespace': {
      const accepted = /^(typing|collections(\.abc)?)\./.test(c.path)
        ? ABSTRACT_TYPES[c.path.split('.').pop() ?? '']
        : undefined;
      return accepted ? accepted.includes(kind) : undefined;
    }
    default:
      return undefined;
  }
}
