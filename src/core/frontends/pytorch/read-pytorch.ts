import type { Node } from 'web-tree-sitter';
import type { Network } from '../../ir/network';
import type { ReadResult } from '../read-result';
import { Abort, isModuleClass } from './interpreter';
import { readPythonProgram, requiredParameters } from './python-program';
import { moduleTreeToNetwork } from './to-network';
import type { ModuleNode, PyValue, UserClass } from './values';
import type { Diagnostic } from '../../ir/diagnostic';
import type { SourceRange } from '../../ir/source';
import type { CandidateKind, CandidateOutcome, PythonReadMemo } from './read-memo';
import { StatementTable } from './top-level-statements';
import type { PythonSearchOptions } from './module-files';

/** A Python file that uses PyTorch. */
export function looksLikePyTorch(text: string): boolean {
  return /^\s*(import\s+torch\b|from\s+torch(\.|\s+import)\b|from\s+torchvision\b|import\s+torchvision\b)/m.test(text);
}

interface Candidate {
  readonly name: string;
  readonly outcome: CandidateOutcome;
}

/** A user class by name and definition text: the same across reads of an edited file. */
function classKeyOf(keys: Map<UserClass, string>, cls: UserClass): string {
  let key = keys.get(cls);
  if (key === undefined) {
    key = `${cls.name}\u0000${cls.node.text}`;
    keys.set(cls, key);
  }
  return key;
}

/**
 * Reads a PyTorch model file statically: evaluates module construction (literals, constants,
 * defaults, arithmetic, loops with known bounds, helper functions, classes built with known
 * arguments) without running Python, and builds the IR of each model it finds. Models are the
 * module-level instances, the argument-free factory functions (`def resnet50(): ...`), and the
 * module classes constructible with defaults that no other model uses. With a memo (one per
 * open document), candidates whose code a keystroke did not touch are not evaluated again.
 */
export function readPyTorch(file: string, text: string, memo?: PythonReadMemo, search?: PythonSearchOptions): ReadResult {
  return readPythonProgram(file, text, ({ root, map, interpreter, diagnostics, origin, diagnostic: at }) => {
    const table = memo ? new StatementTable(root) : undefined;
    memo?.begin();
    interpreter.trackDependencies = memo !== undefined;
    const keys = new Map<UserClass, string>();
    const classKey = (cls: UserClass): string => classKeyOf(keys, cls);
    const definitionOf = (name: string): Node | undefined => root.namedChildren.find((c): c is Node => {
      if (!c) return false;
      const def = c.type === 'decorated_definition' ? c.childForFieldName('definition') : c;
      return def?.childForFieldName('name')?.text === name;
    });
    /** The module tree as a model: its network and the classes it is built from. */
    const describe = (module: ModuleNode, name: string, source: SourceRange): NonNullable<CandidateOutcome['model']> => {
      const classes = new Set<string>();
      const seen = new Set<ModuleNode>();
      const visit = (m: ModuleNode): void => {
        if (seen.has(m)) return;
        seen.add(m);
        if (m.userClass) classes.add(classKey(m.userClass));
        for (const child of m.children.values()) visit(child);
      };
      visit(module);
      return {
        network: moduleTreeToNetwork({ root: module, name, file, text, interpreter, map, source }),
        ownClass: module.userClass ? classKey(module.userClass) : undefined,
        classes: [...classes],
        below: [...classesBelow(module)].map(classKey),
      };
    };
    /** Evaluates one candidate, or reuses its outcome from the memo when nothing it read changed. */
    const evaluate = (name: string, kind: CandidateKind, siteOf: Node, build: (found: Diagnostic[]) => { module: ModuleNode; source: SourceRange } | undefined): CandidateOutcome => {
      const reused = memo && table ? memo.lookup(name, kind, file, table, text) : undefined;
      if (reused) return reused;
      const run = (): CandidateOutcome => {
        const found: Diagnostic[] = [];
        try {
          interpreter.beginEntry();
          const built = build(found);
          // Something its code could not follow (an unknown branch in a factory) may change the model.
          if (built && interpreter.entryProblem) built.module.incomplete ??= interpreter.entryProblem;
          return { diagnostics: found, ...(built ? { model: describe(built.module, name, built.source) } : {}) };
        } catch (e) {
          if (!(e instanceof Abort)) throw e;
          return { diagnostics: [...found, at(e.range ?? map.range(siteOf), 'RL107', `${name}: ${e.message}`)] };
        }
      };
      if (!memo || !table) return run();
      const { value, dependencies } = interpreter.recordDependencies(run);
      memo.store(name, kind, file, table, value, dependencies, interpreter.loader?.stamps ?? [], (node) => interpreter.isLocal(node));
      return value;
    };

    const candidates: Candidate[] = [];
    const moduleClassNames = [...interpreter.globals.vars].filter(([, v]) => v.kind === 'userClass' && isModuleClass(v.cls)).map(([n]) => n);
    // Module-level instances and factory functions.
    for (const [name, value] of interpreter.globals.vars) {
      if (value.kind === 'module' && value.module.userClass && (isModuleClass(value.module.userClass) || value.module.incomplete !== undefined)) {
        const module = value.module;
        if (interpreter.moduleProblem) module.incomplete ??= interpreter.moduleProblem;
        candidates.push({ name, outcome: { diagnostics: [], model: describe(module, name, module.source ?? origin) } });
      } else if (value.kind === 'function' && value.fn.scope === interpreter.globals && requiredParameters(value.fn.node, false) === 0) {
        if (!/\breturn\b/.test(value.fn.node.childForFieldName('body')?.text ?? '')) continue;
        const nameNode = value.fn.node.childForFieldName('name') ?? value.fn.node;
        candidates.push({
          name,
          outcome: evaluate(name, 'factory', nameNode, (found) => {
            const result: PyValue = interpreter.invoke(value.fn, undefined, [], new Map(), { tracing: false });
            if (result.kind === 'unknown' && buildsModule(value.fn.node.text, moduleClassNames)) {
              // A model factory we could not follow: say so rather than leave it out silently.
              found.push(at(map.range(nameNode), 'RL109', `${name}: the model it returns is not statically known (${result.reason})`, 'info'));
            }
            if (result.kind !== 'module' || !result.module.userClass) return undefined;
            // On the name, not the decorators or the body: findings on the model sit there.
            const def = definitionOf(name);
            const fnDef = def?.type === 'decorated_definition' ? def.childForFieldName('definition') ?? def : def;
            return { module: result.module, source: fnDef ? map.range(fnDef.childForFieldName('name') ?? fnDef) : origin };
          }),
        });
      }
    }
    const used = new Set(candidates.flatMap((c) => c.outcome.model?.classes ?? []));

    // Module classes constructible with defaults that no other model uses.
    for (const [name, value] of interpreter.globals.vars) {
      if (value.kind !== 'userClass' || !isModuleClass(value.cls) || used.has(classKey(value.cls))) continue;
      const init = value.cls.methods.get('__init__');
      if (init && requiredParameters(init.node, true) > 0) continue;
      if (!init && value.cls.bases.every((b) => b.kind !== 'userClass')) continue;
      const nameNode = value.cls.node.childForFieldName('name') ?? value.cls.node;
      candidates.push({
        name,
        outcome: evaluate(name, 'class', nameNode, () => {
          const made = interpreter.instantiate(value.cls, [], new Map(), nameNode);
          return made.kind === 'module' ? { module: made.module, source: map.range(nameNode) } : undefined;
        }),
      });
    }
    memo?.end();
    for (const c of candidates) diagnostics.push(...c.outcome.diagnostics);
    // A class used inside another candidate is a component, not a model of its own.
    const networks: Network[] = candidates.filter((c) => {
      const own = c.outcome.model?.ownClass;
      return own !== undefined && !candidates.some((other) => other !== c && other.outcome.model?.below.includes(own));
    }).map((c) => (c.outcome.model as NonNullable<CandidateOutcome['model']>).network);
    if (networks.length === 0 && !diagnostics.some((d) => d.severity === 'error')) {
      diagnostics.push(at(origin, 'RL108', 'no PyTorch model found: expected an nn.Module class constructible with its defaults, an argument-free function returning one, or a module-level instance', 'info'));
    }
    return { network: networks[0], networks, diagnostics };
  }, memo, search);
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

