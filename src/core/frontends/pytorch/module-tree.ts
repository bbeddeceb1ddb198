import type { ModuleNode, PyValue, UserClass } from './values';
import type { SourceRange } from '../../ir/source';

/** Module trees as the evaluator builds them: cache keys for instances, structural copies. */

/** A cache key for arguments made only of values that cannot be shared or mutated; undefined otherwise. */
export function instanceKey(
  cls: UserClass,
  positional: readonly PyValue[],
  keywords: ReadonlyMap<string, PyValue>,
  site: number,
  epoch: number,
): string | undefined {
  const plain = (v: PyValue): string | undefined => {
    switch (v.kind) {
      case 'number':
        return `${v.isInt ? 'i' : 'f'}${v.value}`;
      case 'string':
        return JSON.stringify(v.value);
      case 'bool':
        return v.value ? 'T' : 'F';
      case 'none':
        return 'N';
      case 'torchClass':
        return v.preset.size === 0 ? `C${v.name}` : undefined;
      case 'list': {
        if (!v.tuple || v.tainted) return undefined;
        const items = v.items.map(plain);
        return items.every((i) => i !== undefined) ? `(${items.join(',')})` : undefined;
      }
      default:
        return undefined;
    }
  };
  const parts = positional.map(plain);
  const named = [...keywords].map(([k, v]) => {
    const p = plain(v);
    return p === undefined ? undefined : `${k}=${p}`;
  });
  if (parts.some((p) => p === undefined) || named.some((p) => p === undefined)) return undefined;
  return `${cls.node.id}@${site}#${epoch}|${parts.join(',')}|${named.join(',')}`;
}

export function hasIncomplete(module: ModuleNode, seen = new Set<ModuleNode>()): boolean {
  if (seen.has(module)) return false;
  seen.add(module);
  if (module.incomplete) return true;
  for (const child of module.children.values()) if (hasIncomplete(child, seen)) return true;
  return false;
}

export function countLeaves(module: ModuleNode): number {
  let n = module.layer ? 1 : 0;
  for (const child of module.children.values()) n += countLeaves(child);
  return n;
}

/** The original each clone was made from, with the module mapping (forward traces are reused through it). */
export const clones = new WeakMap<ModuleNode, { original: ModuleNode; mapping: Map<ModuleNode, ModuleNode> }>();

/**
 * A structural copy: new module objects (PyTorch counts every instance), shared immutable IR
 * layers. `track` records the copy's origin so its forward trace is reused, not recomputed.
 */
export function cloneModule(original: ModuleNode, track: boolean): ModuleNode {
  const mapping = new Map<ModuleNode, ModuleNode>();
  const copy = (m: ModuleNode): ModuleNode => {
    const done = mapping.get(m);
    if (done) return done;
    const made: ModuleNode = { ...m, children: new Map(), attributes: new Map(m.attributes) };
    mapping.set(m, made);
    for (const [k, child] of m.children) made.children.set(k, copy(child));
    return made;
  };
  const root = copy(original);
  if (track) for (const [from, to] of mapping) clones.set(to, { original: from, mapping });
  return root;
}

/**
 * Marks the layers of a module a helper function built with the helper's call site, down to
 * (not into) instances of user classes, whose own lines say where their layers come from.
 */
export function markCallSite(module: ModuleNode, site: SourceRange, seen = new Set<ModuleNode>()): void {
  if (seen.has(module) || module.userClass) return;
  seen.add(module);
  if (module.layer && !module.layer.callSite) module.layer = { ...module.layer, callSite: site };
  for (const child of module.children.values()) markCallSite(child, site, seen);
}
