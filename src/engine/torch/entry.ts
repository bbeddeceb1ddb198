/**
 * An entry of the torch back end, parsed as the worker parses it (python/robustness_lens_worker/model_source.py):
 * `FILE.py:factory(args)` or `package.module:factory(args)`. The target may start with a Windows drive
 * (`C:\models\net.py`, `C:/x/net.py`), whose colon is not the separator; other colons in a target are refused.
 */
export interface TorchEntry {
  /** The file (`.py`) or the dotted module name before the separating colon. */
  readonly target: string;
  /** The factory, class or module-level instance the target holds. */
  readonly name: string;
  /** `(args)` as written, when the entry calls the name with arguments. */
  readonly call?: string;
  /** Whether the target is a Python file rather than a module name. */
  readonly file: boolean;
}

const ENTRY = /^((?:[A-Za-z]:[\\/])?[^:]+):([A-Za-z_]\w*)(\(.*\))?$/s;
const MODULE = /^[A-Za-z_]\w*(\.[A-Za-z_]\w*)*$/;

/** The parts of an entry (surrounding blanks ignored); undefined when the worker would refuse its shape. */
export function parseEntry(text: string): TorchEntry | undefined {
  const m = ENTRY.exec(text.trim());
  const target = m?.[1];
  const name = m?.[2];
  if (!m || target === undefined || name === undefined) return undefined;
  const file = target.endsWith('.py');
  if (!file && !MODULE.test(target)) return undefined;
  return { target, name, ...(m[3] !== undefined ? { call: m[3] } : {}), file };
}
