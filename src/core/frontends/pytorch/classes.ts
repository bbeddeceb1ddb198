import type { Node } from 'web-tree-sitter';
import type { PyValue, UserClass, UserFunction } from './values';

/** User classes: their bases, method and attribute lookup along the bases, module classes. */

/** Import roots whose CapWords callables are not layers (typing.NamedTuple, collections.OrderedDict...). */
export const NON_MODULE_ROOTS = new Set([
  'typing',
  'collections',
  'dataclasses',
  'enum',
  'functools',
  'itertools',
  'math',
  'numpy',
  'np',
  'pathlib',
  'os',
  'sys',
  're',
  'json',
  'abc',
  'argparse',
  'logging',
  'warnings',
  'copy',
]);

/** Bases the evaluator knows all about: user classes, torch classes, object and typing/enum/abc types. */
export function isResolvedBase(base: PyValue): boolean {
  if (base.kind === 'userClass' || base.kind === 'torchClass' || base.kind === 'kerasClass') return true;
  // object, dict, list...: Python's own types hold no parameters.
  if (base.kind === 'builtin') return true;
  return base.kind === 'namespace' && NON_MODULE_ROOTS.has(base.path.split('.')[0] ?? '');
}

export function unresolvedBaseOf(cls: UserClass, seen = new Set<UserClass>()): string | undefined {
  if (seen.has(cls)) return undefined;
  seen.add(cls);
  if (cls.unresolvedBase) return cls.unresolvedBase;
  for (const base of cls.bases)
    if (base.kind === 'userClass') {
      const found = unresolvedBaseOf(base.cls, seen);
      if (found) return found;
    }
  return undefined;
}

export function describeValue(value: PyValue): string {
  if (value.kind === 'unknown') return value.reason;
  if (value.kind === 'namespace') return `${value.path}, from a file not read`;
  return `a ${value.kind}`;
}

export function inherits(cls: UserClass, target: UserClass): boolean {
  if (cls === target) return true;
  return cls.bases.some((b) => b.kind === 'userClass' && inherits(b.cls, target));
}

export function findMethod(cls: UserClass, name: string): UserFunction | undefined {
  const own = cls.methods.get(name);
  if (own) return own;
  for (const base of cls.bases) {
    if (base.kind === 'userClass') {
      const found = findMethod(base.cls, name);
      if (found) return found;
    }
  }
  return undefined;
}

export function findClassAttribute(cls: UserClass, name: string): PyValue | undefined {
  const own = cls.attributes.get(name);
  if (own) return own;
  for (const base of cls.bases)
    if (base.kind === 'userClass') {
      const found = findClassAttribute(base.cls, name);
      if (found) return found;
    }
  return undefined;
}

/** The first torch container class a user class derives from (nn.Sequential subclasses). */
export function torchBaseOf(cls: UserClass): string | undefined {
  for (const base of cls.bases) {
    if (base.kind === 'torchClass') return base.name;
    if (base.kind === 'userClass') {
      const found = torchBaseOf(base.cls);
      if (found) return found;
    }
  }
  return undefined;
}

/** Whether a class is an nn.Module subclass. */
export function isModuleClass(cls: UserClass): boolean {
  return torchBaseOf(cls) !== undefined;
}

/** The class whose method contains `node`, among the classes of `self`'s hierarchy (for super()). */
export function enclosingClass(node: Node, start: UserClass | undefined): UserClass | undefined {
  let current: Node | null = node.parent;
  while (current && current.type !== 'class_definition') current = current.parent;
  if (!current || !start) return start;
  const search = (cls: UserClass): UserClass | undefined => {
    if (cls.node.id === current?.id) return cls;
    for (const base of cls.bases)
      if (base.kind === 'userClass') {
        const found = search(base.cls);
        if (found) return found;
      }
    return undefined;
  };
  return search(start) ?? start;
}
