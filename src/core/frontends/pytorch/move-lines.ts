/**
 * Moves every source position inside a value (a network, diagnostics) to new line numbers,
 * copying what it changes (movable objects are rebuilt over the new `text`). `line` returns the new line of an old one,
 * or undefined when the
 * old line is not known to have moved cleanly, which makes the whole move fail.
 */
export type LineMap = (line: number) => number | undefined;

/** Objects that hold positions the walk cannot see (a quick-fix editor holding the old text). */
export interface Movable<T> {
  moved(line: (old: number) => number, text: string): T;
}

class NotMovable extends Error {}

/**
 * Objects known to hold no position anywhere beneath (facts, shapes, hyper-parameters). The IR is
 * immutable, so the next move of a model that shares them skips them.
 */
const POSITION_FREE = new WeakSet<object>();

function isMovable(value: object): value is Movable<unknown> {
  return typeof (value as { moved?: unknown }).moved === 'function';
}

/** The IR's positions are the only objects with a numeric `line` and `character`. */
function isPosition(value: object): value is { line: number; character: number } {
  return (
    typeof (value as { line?: unknown }).line === 'number' &&
    typeof (value as { character?: unknown }).character === 'number'
  );
}

/** The moved value, or undefined when a position falls outside what `line` maps. */
export function moveLines<T>(value: T, line: LineMap, text: string): T | undefined {
  const copies = new Map<object, unknown>();
  const strict = (old: number): number => {
    const moved = line(old);
    if (moved === undefined) throw new NotMovable();
    return moved;
  };
  let positions = 0;
  // Only what holds a moved position is copied; everything else is shared with the original.
  const walk = (v: unknown): unknown => {
    if (v === null || typeof v !== 'object') return v;
    // Positions are the most numerous objects and never compared by identity: no bookkeeping.
    if (isPosition(v)) {
      positions++;
      const to = strict(v.line);
      return to === v.line ? v : { line: to, character: v.character };
    }
    if (POSITION_FREE.has(v)) return v;
    const seen = copies.get(v);
    if (seen !== undefined) {
      // Walked before in this move and not position-free (it would have returned above).
      positions++;
      return seen;
    }
    const positionsBefore = positions;
    let result: unknown = v;
    if (Array.isArray(v)) {
      let items: unknown[] | undefined;
      for (let i = 0; i < v.length; i++) {
        const item: unknown = v[i];
        const moved = walk(item);
        if (moved !== item && !items) items = v.slice(0, i);
        items?.push(moved);
      }
      if (items) result = items;
    } else if (v instanceof Map) {
      let map: Map<unknown, unknown> | undefined;
      for (const [k, item] of v) {
        const moved = walk(item);
        if (moved !== item) map ??= new Map(v);
        map?.set(k, moved);
      }
      if (map) result = map;
    } else if (isMovable(v)) {
      positions++;
      result = v.moved(strict, text);
    } else {
      const prototype: unknown = Object.getPrototypeOf(v);
      // Class instances other than movable ones could hide positions: do not guess.
      if (prototype !== Object.prototype && prototype !== null) throw new NotMovable();
      let object: Record<string, unknown> | undefined;
      const record = v as Record<string, unknown>;
      const keys = Object.keys(record);
      for (let i = 0; i < keys.length; i++) {
        const k = keys[i] as string;
        const item = record[k];
        const moved = walk(item);
        if (moved !== item) {
          object ??= { ...record };
          object[k] = moved;
        }
      }
      if (object) result = object;
    }
    copies.set(v, result);
    if (positions === positionsBefore) POSITION_FREE.add(v);
    return result;
  };
  try {
    return walk(value) as T;
  } catch (e) {
    if (e instanceof NotMovable) return undefined;
    throw e;
  }
}
