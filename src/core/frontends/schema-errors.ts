import type { ErrorObject } from 'ajv';
import type { Diagnostic } from '../ir/diagnostic';
import type { SourceRange } from '../ir/source';
import type { PathSegment } from '../yaml/yaml-source';
import { closestMatch } from '../util/closest-match';

/** `stages[0].depth` from `/stages/0/depth`. */
export function formatPath(path: readonly PathSegment[]): string {
  let out = '';
  for (const segment of path) {
    out += typeof segment === 'number' ? `[${segment}]` : `${out ? '.' : ''}${segment}`;
  }
  return out || 'the document';
}

function parsePointer(pointer: string, data: unknown): PathSegment[] {
  if (!pointer) return [];
  const path: PathSegment[] = [];
  let cursor = data;
  for (const raw of pointer.slice(1).split('/')) {
    const segment = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(cursor)) {
      const index = Number(segment);
      path.push(index);
      cursor = cursor[index];
    } else {
      path.push(segment);
      cursor = cursor && typeof cursor === 'object' ? (cursor as Record<string, unknown>)[segment] : undefined;
    }
  }
  return path;
}

function describeValue(value: unknown): string {
  if (typeof value === 'string') return `"${value}"`;
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return String(value);
}

function valueAt(data: unknown, path: readonly PathSegment[]): unknown {
  let cursor = data;
  for (const segment of path) {
    if (cursor === null || typeof cursor !== 'object') return undefined;
    cursor = (cursor as Record<string | number, unknown>)[segment];
  }
  return cursor;
}

const TYPE_NAMES: Record<string, string> = {
  integer: 'a whole number',
  number: 'a number',
  string: 'a string',
  boolean: 'true or false',
  object: 'a mapping',
  array: 'a list',
  null: 'null',
};

function typeName(type: unknown): string {
  const types = Array.isArray(type) ? type : [type];
  return types.map((t) => TYPE_NAMES[String(t)] ?? String(t)).join(' or ');
}

/** What a schema error needs to point at its key or value. */
export interface Locator {
  readonly file: string;
  rangeOf(path: readonly PathSegment[]): SourceRange;
  rangeOfKey(path: readonly PathSegment[], key: string): SourceRange;
}

/**
 * One clear diagnostic for a JSON Schema violation, at the offending key or value.
 * `allowedKeys` lists a mapping's keys for "unknown key" messages.
 */
export function schemaErrorToDiagnostic(
  error: ErrorObject,
  source: Locator,
  data: unknown,
  code: string,
  allowedKeys: (path: readonly PathSegment[]) => readonly string[],
  displayPrefix: readonly PathSegment[] = [],
): Diagnostic {
  const path = parsePointer(error.instancePath, data);
  const where = formatPath([...displayPrefix, ...path]);
  const value = valueAt(data, path);
  const got = `got ${describeValue(value)}`;
  let range = source.rangeOf(path);
  let message: string;
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'additionalProperties': {
      const key = String(params.additionalProperty);
      const allowed = allowedKeys(path);
      const suggestion = closestMatch(key, allowed);
      range = source.rangeOfKey(path, key);
      message =
        `unknown key "${key}" in ${where}` +
        (suggestion
          ? `; did you mean "${suggestion}"?`
          : allowed.length
            ? `; expected one of: ${allowed.join(', ')}`
            : '');
      break;
    }
    case 'required':
      message = `${where} is missing the required key "${String(params.missingProperty)}"`;
      break;
    case 'type':
      message = `${where} must be ${typeName(params.type)}, ${got}`;
      break;
    case 'enum': {
      const allowed = (params.allowedValues as unknown[]).map(String);
      const suggestion = typeof value === 'string' ? closestMatch(value, allowed) : undefined;
      message =
        `${where} must be one of: ${allowed.join(', ')}; ${got}` +
        (suggestion ? ` (did you mean "${suggestion}"?)` : '');
      break;
    }
    case 'const':
      message = `${where} must be ${describeValue(params.allowedValue)}, ${got}`;
      break;
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      message = `${where} must be ${String(params.comparison)} ${String(params.limit)}, ${got}`;
      break;
    case 'minItems':
    case 'maxItems': {
      const count = Array.isArray(value) ? value.length : 0;
      message =
        `${where} must have ${error.keyword === 'minItems' ? 'at least' : 'at most'} ` +
        `${String(params.limit)} entr${params.limit === 1 ? 'y' : 'ies'}, got ${count}`;
      break;
    }
    case 'pattern':
      message = `${where} has an unreadable value ${describeValue(value)}`;
      break;
    default:
      message = `${where} ${error.message ?? 'is invalid'}`;
  }
  return { file: source.file, range, severity: 'error', code, message };
}
