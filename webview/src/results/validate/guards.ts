// Small shape checks shared by the message validators. Messages cross a trust boundary (the page
// is untrusted to the extension, and the page should not trust malformed data either), so every
// check bounds sizes as well as types: a huge string is rejected, never truncated.

/** Limits; generous for real runs, small enough that a message cannot exhaust memory. */
export const LIMITS = {
  path: 4_096,
  text: 20_000,
  runs: 10_000,
  runIds: 1_000,
  epochs: 100_000,
  /** perSample arrays: one entry per test image. */
  samples: 1_000_000,
  notes: 100,
  jsonDepth: 12,
  jsonNodes: 200_000,
  /** Text the page exports (JSON, CSV, Markdown of many runs). */
  exportText: 32 * 1024 * 1024,
  /** A chart rendered at 2-3x device pixels is a few hundred KB; 16 MiB leaves ample room. */
  pngDataUrl: 16 * 1024 * 1024,
} as const;

export type Fields = Readonly<Record<string, unknown>>;

/** A plain object (what JSON.parse or a structured clone of JSON yields), not an array or class instance. */
export function isFields(value: unknown): value is Fields {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** True when `value` has no key outside `allowed` (message envelopes are closed shapes). */
export function onlyKeys(value: Fields, allowed: readonly string[]): boolean {
  return Object.keys(value).every((key) => allowed.includes(key));
}

export function str(value: unknown, max: number = LIMITS.text): string | undefined {
  return typeof value === 'string' && value.length <= max ? value : undefined;
}

export function finite(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

export function count(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 ? value : undefined;
}

/**
 * A measured figure. JSON.stringify writes NaN and Infinity as null, and a diverged run records a
 * NaN loss, so null reads back as NaN rather than rejecting the whole run.
 */
export function figure(value: unknown): number | undefined {
  if (value === null) return Number.NaN;
  return typeof value === 'number' ? value : undefined;
}

/** An accuracy in [0, 1]. */
export function share(value: unknown): number | undefined {
  const v = finite(value);
  return v !== undefined && v >= 0 && v <= 1 ? v : undefined;
}

/**
 * Run ids name folders under .robustness-lens/runs/: the extension joins them to a path, so ids
 * made only of dots ('.', '..') are refused as well as any other character than [A-Za-z0-9._-].
 */
export function isRunId(value: unknown): value is string {
  return typeof value === 'string' && /^[A-Za-z0-9._-]{1,100}$/.test(value) && !/^\.+$/.test(value);
}

/** Every item parsed, or undefined when the array is too long or any item is wrong. */
export function arrayOf<T>(value: unknown, max: number, item: (v: unknown) => T | undefined): T[] | undefined {
  if (!Array.isArray(value) || value.length > max) return undefined;
  const out: T[] = [];
  for (const v of value) {
    const parsed = item(v);
    if (parsed === undefined) return undefined;
    out.push(parsed);
  }
  return out;
}

/**
 * Free-form JSON (config.json, environment.json): plain objects, arrays, bounded strings, finite
 * numbers, booleans and null, with bounded depth and size. Returns a fresh copy, so nothing the
 * sender can still reach (getters, prototypes) survives.
 */
export function plainJson(value: unknown): unknown {
  let nodes = 0;
  const walk = (v: unknown, depth: number): { ok: true; value: unknown } | { ok: false } => {
    if (++nodes > LIMITS.jsonNodes || depth > LIMITS.jsonDepth) return { ok: false };
    if (v === null || typeof v === 'boolean') return { ok: true, value: v };
    if (typeof v === 'number') return Number.isFinite(v) ? { ok: true, value: v } : { ok: false };
    if (typeof v === 'string') return v.length <= LIMITS.text ? { ok: true, value: v } : { ok: false };
    if (Array.isArray(v)) {
      const out: unknown[] = [];
      for (const item of v) {
        const r = walk(item, depth + 1);
        if (!r.ok) return r;
        out.push(r.value);
      }
      return { ok: true, value: out };
    }
    if (isFields(v)) {
      const out: Record<string, unknown> = {};
      for (const [key, item] of Object.entries(v)) {
        if (key.length > 200 || key === '__proto__') return { ok: false };
        const r = walk(item, depth + 1);
        if (!r.ok) return r;
        out[key] = r.value;
      }
      return { ok: true, value: out };
    }
    return { ok: false };
  };
  const result = walk(value, 0);
  return result.ok ? result.value : INVALID;
}

/** What plainJson returns for a value it refuses (undefined is a valid "absent" there). */
export const INVALID: unique symbol = Symbol('invalid');
