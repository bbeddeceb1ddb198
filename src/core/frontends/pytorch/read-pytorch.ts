import type { Node } from 'web-tree-sitter';
import type { Network } from '../../ir/network';
import type { ReadResult } from '../read-result';
import { Abort, isModuleClass } from './interpreter';
import type { PythonSourceMap } from './python-parser';
import { readPythonProgram, requiredParameters } from './python-program';
import { moduleTreeToNetwork } from './to-network';
import type { ModuleNode, PyValue, UserClass } from './values';

/** A Python file that uses PyTorch. */
export function looksLikePyTorch(text: string): boolean {
  return /^\s*(import\s+torch\b|from\s+torch(\.|\s+import)\b|from\s+torchvision\b|import\s+torchvision\b)/m.test(text);
}

interface Candidate {
  readonly name: string;
  readonly module: ModuleNode;
  readonly source: ReturnType<PythonSourceMap['range']>;
}

/**
 * Reads a PyTorch model file statically: evaluates module construction (literals, constants,
 * defaults, arithmetic, loops with known bounds, helper functions, classes built with known
 * arguments) without running Python, and builds the IR of each model it finds. Models are the
 * module-level instances, the argument-free factory functions (`def resnet50(): ...`), and the
 * module classes constructible with defaults that no other model uses.
 */
export function readPyTorch(file: string, text: string): ReadResult {
  return readPythonProgram(file, text, ({ root, map, interpreter, diagnostics, origin, diagnostic: at }) => {
    const candidates: Candidate[] = [];
    const used = new Set<UserClass>();
    const collectClasses = (module: ModuleNode, seen = new Set<ModuleNode>()): void => {
      if (seen.has(module)) return;
      seen.add(module);
      if (module.userClass) used.add(module.userClass);
      for (const child of module.children.values()) collectClasses(child, seen);
    };
    const definitionOf = (name: string): Node | undefined => root.namedChildren.find((c): c is Node => {
      if (!c) return false;
      const def = c.type === 'decorated_definition' ? c.childForFieldName('definition') : c;
      return def?.childForFieldName('name')?.text === name;
    });

    const moduleClassNames = [...interpreter.globals.vars].filter(([, v]) => v.kind === 'userClass' && isModuleClass(v.cls)).map(([n]) => n);
    // Module-level instances and factory functions.
    for (const [name, value] of interpreter.globals.vars) {
      try {
        if (value.kind === 'module' && value.module.userClass) {
          candidates.push({ name, module: value.module, source: value.module.source ?? origin });
        } else if (value.kind === 'function' && value.fn.scope === interpreter.globals && requiredParameters(value.fn.node, false) === 0) {
          if (!/\breturn\b/.test(value.fn.node.childForFieldName('body')?.text ?? '')) continue;
          interpreter.beginEntry();
          const result: PyValue = interpreter.invoke(value.fn, undefined, [], new Map(), { tracing: false });
          if (result.kind === 'unknown' && buildsModule(value.fn.node.text, moduleClassNames)) {
            // A model factory we could not follow: say so rather than leave it out silently.
            diagnostics.push(at(map.range(value.fn.node.childForFieldName('name') ?? value.fn.node), 'RL109', `${name}: the model it returns is not statically known (${result.reason})`, 'info'));
          }
          if (result.kind === 'module' && result.module.userClass) {
            const def = definitionOf(name);
            candidates.push({ name, module: result.module, source: def ? map.range(def.childForFieldName('name') ?? def) : origin });
          }
        }
      } catch (e) {
        if (!(e instanceof Abort)) throw e;
        diagnostics.push(at(value.kind === 'function' ? map.range(value.fn.node.childForFieldName('name') ?? value.fn.node) : origin, 'RL107', `${name}: ${e.message}`));
      }
    }
    for (const c of candidates) collectClasses(c.module);

    // Module classes constructible with defaults that no other model uses.
    for (const [name, value] of interpreter.globals.vars) {
      if (value.kind !== 'userClass' || !isModuleClass(value.cls) || used.has(value.cls)) continue;
      const init = value.cls.methods.get('__init__');
      if (init && requiredParameters(init.node, true) > 0) continue;
      if (!init && value.cls.bases.every((b) => b.kind !== 'userClass')) continue;
      try {
        interpreter.beginEntry();
        const made = interpreter.instantiate(value.cls, [], new Map(), value.cls.node.childForFieldName('name') ?? value.cls.node);
        if (made.kind === 'module') {
          collectClasses(made.module);
          candidates.push({ name, module: made.module, source: map.range(value.cls.node.childForFieldName('name') ?? value.cls.node) });
        }
      } catch (e) {
        if (!(e instanceof Abort)) throw e;
        diagnostics.push(at(map.range(value.cls.node.childForFieldName('name') ?? value.cls.node), 'RL107', `${name}: ${e.message}`));
      }
    }
    // A class used inside another candidate is a component, not a model of its own.
    const inside = candidates.map((c) => classesBelow(c.module));
    const models = candidates.filter((c) => !candidates.some((other, i) => other !== c && c.module.userClass !== undefined && inside[i]?.has(c.module.userClass)));
    const networks: Network[] = models.map((c) => moduleTreeToNetwork({ root: c.module, name: c.name, file, text, interpreter, map, source: c.source }));
    if (networks.length === 0 && !diagnostics.some((d) => d.severity === 'error')) {
      diagnostics.push(at(origin, 'RL108', 'no PyTorch model found: expected an nn.Module class constructible with its defaults, an argument-free function returning one, or a module-level instance', 'info'));
    }
    return { network: networks[0], networks, diagnostics };
  });
}

/** Whether a function's code names one of the file's module classes (a model factory). */
function buildsModule(code: string, classNames: readonly string[]): boolean {
  return classNames.some((name) => new RegExp(`\\b${name}\\b`).test(code));
}

/** The user classes instantiated anywhere below a module (not the module itself). */
function classesBelow(module: ModuleNode): Set<UserClass> {
  const classes = new Set<UserClass>();
  const seen = new Set<ModuleNode>();
  const visit = (m: ModuleNode): void => {
    for (const child of m.children.values()) {
      if (seen.has(child)) continue;
      seen.add(child);
      if (child.userClass) classes.add(child.userClass);
      visit(child);
    }
  };
  visit(module);
  return classes;
}

