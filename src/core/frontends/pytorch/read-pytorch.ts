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
import { mainBlockCalls, selectorCalls, type SelectorCall, type SelectorCalls } from './model-entries';
import { parseNamedModels, type NamedModels } from './named-models';
import { describeValue } from './classes';

/** A Python file that uses PyTorch. */
export function looksLikePyTorch(text: string): boolean {
  return /^\s*(import\s+torch\b|from\s+torch(\.|\s+import)\b|from\s+torchvision\b|import\s+torchvision\b)/m.test(text);
}

/** A model built by a candidate's code, and where it is shown. */
type Built = { module: ModuleNode; source: SourceRange } | undefined;

interface Candidate {
  readonly name: string;
  readonly outcome: CandidateOutcome;
  /** Named by the user: a model whatever it is built from. */
  readonly named?: boolean;
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
export function readPyTorch(
  file: string,
  text: string,
  memo?: PythonReadMemo,
  search?: PythonSearchOptions,
  named?: NamedModels,
): ReadResult {
  // Parsed for the whole read: the evaluator caches syntax by node id, which a freed tree's successor may reuse.
  const namedExpressions = named ? parseNamedModels(named) : undefined;
  try {
    return readModels(file, text, memo, search, named, namedExpressions);
  } finally {
    namedExpressions?.dispose();
  }
}

function readModels(
  file: string,
  text: string,
  memo: PythonReadMemo | undefined,
  search: PythonSearchOptions | undefined,
  named: NamedModels | undefined,
  namedExpressions: ReturnType<typeof parseNamedModels> | undefined,
): ReadResult {
  return readPythonProgram(
    file,
    text,
    ({ root, map, interpreter, diagnostics, origin, diagnostic: at }) => {
      const table = memo ? new StatementTable(root) : undefined;
      if (table) memo?.begin(table.othersKey);
      /** What a definition's syntax says, worked out again only when its statement or the module level changed. */
      const fromSyntax = <T>(node: Node, question: string, compute: () => T): T => {
        const statement = memo && table && interpreter.isLocal(node) ? table.statementOf(node) : undefined;
        if (!memo || !statement) return compute();
        // Where in its statement the definition starts tells two definitions of one name in a statement apart.
        return memo.fromSyntax(statement.text, `${question} ${node.startIndex - statement.startIndex}`, compute);
      };
      interpreter.trackDependencies = memo !== undefined;
      const keys = new Map<UserClass, string>();
      const classKey = (cls: UserClass): string => classKeyOf(keys, cls);
      const definitionOf = (name: string): Node | undefined =>
        root.namedChildren.find((c): c is Node => {
          if (!c) return false;
          const def = c.type === 'decorated_definition' ? c.childForFieldName('definition') : c;
          return def?.childForFieldName('name')?.text === name;
        });
      /** The module tree as a model: its network and the classes it is built from. */
      const describe = (
        module: ModuleNode,
        name: string,
        source: SourceRange,
      ): NonNullable<CandidateOutcome['model']> => {
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
      const evaluate = (
        name: string,
        kind: CandidateKind,
        site: Node | SourceRange,
        build: (found: Diagnostic[]) => Built,
      ): CandidateOutcome => {
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
            const range = e.range ?? ('type' in site ? map.range(site) : site);
            return { diagnostics: [...found, at(range, 'RL107', `${name}: ${e.message}`)] };
          }
        };
        if (!memo || !table) return run();
        const { value, dependencies } = interpreter.recordDependencies(run);
        memo.store(name, kind, file, table, value, dependencies, interpreter.loader?.stamps ?? [], (node) =>
          interpreter.isLocal(node),
        );
        return value;
      };

      /** One model per literal that selects it, from a factory or a class of this file. */
      const selectorCandidates = (
        name: string,
        { calls, omitted }: SelectorCalls,
        nameNode: Node,
        build: (call: SelectorCall, found: Diagnostic[]) => Built,
        kind: CandidateKind = 'factory',
      ): Candidate[] => {
        if (omitted > 0) {
          const more =
            `${name}: ${omitted} more models it selects by name are not read; ` +
            'name them with --model or `models` in robustness-lens.toml';
          diagnostics.push(at(map.range(nameNode), 'RL109', more, 'info'));
        }
        return calls.map((call) => ({
          name: call.name,
          outcome: evaluate(call.name, kind, nameNode, (found) => build(call, found)),
        }));
      };
      /** The models the user named, or undefined when none of them is this file's (discovery then finds them). */
      const namedModelCandidates = (given: NamedModels): Candidate[] | undefined => {
        const out: Candidate[] = [];
        let applies = false;
        for (const parsed of namedExpressions?.entries ?? []) {
          if ('problem' in parsed) {
            const problem = `${given.from} ${parsed.text.slice(0, 80)}: ${parsed.problem}`;
            if (given.strict) diagnostics.push(at(origin, 'RL114', problem));
            continue;
          }
          if (!interpreter.globals.vars.has(parsed.root)) {
            const problem = `${given.from} ${parsed.name}: this file does not define ${parsed.root}`;
            if (given.strict) diagnostics.push(at(origin, 'RL114', problem));
            continue;
          }
          applies = true;
          const site = nameRange(parsed.root);
          out.push({
            name: parsed.name,
            named: true,
            outcome: evaluate(parsed.name, 'factory', site, (found) => {
              let value = interpreter.eval(parsed.node, interpreter.globals, frame);
              // A factory or class named without a call is called without arguments.
              if (value.kind === 'function') value = interpreter.invoke(value.fn, undefined, [], new Map(), frame);
              else if (value.kind === 'userClass')
                value = interpreter.instantiate(value.cls, [], new Map(), value.cls.node);
              if (value.kind === 'module') return { module: value.module, source: site };
              const what =
                value.kind === 'unknown'
                  ? `the model it gives is not statically known (${value.reason})`
                  : `it gives ${describeValue(value)}, not an nn.Module`;
              found.push(at(site, 'RL114', `${parsed.name}: ${what}`));
              return undefined;
            }),
          });
        }
        return applies || given.strict ? out : undefined;
      };

      const candidates: Candidate[] = [];
      const moduleClassNames = [...interpreter.globals.vars]
        .filter(([, v]) => v.kind === 'userClass' && isModuleClass(v.cls))
        .map(([n]) => n);
      const nameRange = (name: string): SourceRange => {
        // On the name, not the decorators or the body: findings on the model sit there.
        const found = definitionOf(name);
        const def = found?.type === 'decorated_definition' ? (found.childForFieldName('definition') ?? found) : found;
        return def ? map.range(def.childForFieldName('name') ?? def) : origin;
      };
      /** What a factory call gave, as a model; a factory we could not follow says so rather than vanish. */
      const factoryModel = (
        name: string,
        code: Node,
        result: PyValue,
        found: Diagnostic[],
        site: SourceRange,
      ): Built => {
        if (result.kind === 'unknown' && buildsModule(code.text, moduleClassNames)) {
          found.push(
            at(site, 'RL109', `${name}: the model it returns is not statically known (${result.reason})`, 'info'),
          );
        }
        return result.kind === 'module' && result.module.userClass
          ? { module: result.module, source: site }
          : undefined;
      };
      const frame = { tracing: false } as const;

      const userNamed = named ? namedModelCandidates(named) : undefined;
      if (userNamed) {
        candidates.push(...userNamed);
      } else {
        // Module-level instances and factory functions: argument-free, or one call per literal selecting the model.
        for (const [name, value] of interpreter.globals.vars) {
          if (
            value.kind === 'module' &&
            value.module.userClass &&
            (isModuleClass(value.module.userClass) || value.module.incomplete !== undefined)
          ) {
            const module = value.module;
            if (interpreter.moduleProblem) module.incomplete ??= interpreter.moduleProblem;
            candidates.push({
              name,
              outcome: { diagnostics: [], model: describe(module, name, module.source ?? origin) },
            });
            continue;
          }
          if (value.kind !== 'function' || value.fn.scope !== interpreter.globals) continue;
          const fn = value.fn;
          const entry = fromSyntax(
            fn.node,
            `factory ${name}`,
            (): { readonly required: number; readonly selectors: SelectorCalls } | undefined =>
              /\breturn\b/.test(fn.node.childForFieldName('body')?.text ?? '')
                ? { required: requiredParameters(fn.node, false), selectors: selectorCalls(name, fn.node, false) }
                : undefined,
          );
          if (!entry) continue;
          const nameNode = fn.node.childForFieldName('name') ?? fn.node;
          if (entry.required === 0) {
            candidates.push({
              name,
              outcome: evaluate(name, 'factory', nameNode, (found) => {
                const result = interpreter.invoke(fn, undefined, [], new Map(), frame);
                return factoryModel(name, fn.node, result, found, nameRange(name));
              }),
            });
          }
          candidates.push(
            ...selectorCandidates(name, entry.selectors, nameNode, (call, found) => {
              const { positional, keywords } = selectorArguments(call);
              const result = interpreter.invoke(fn, undefined, positional, keywords, frame);
              return factoryModel(call.name, fn.node, result, found, nameRange(name));
            }),
          );
        }
        const used = new Set(candidates.flatMap((c) => c.outcome.model?.classes ?? []));

        // Module classes constructible with defaults that no other model uses, or built once per selecting literal.
        for (const [name, value] of interpreter.globals.vars) {
          if (value.kind !== 'userClass' || !isModuleClass(value.cls) || used.has(classKey(value.cls))) continue;
          const init = value.cls.methods.get('__init__');
          const nameNode = value.cls.node.childForFieldName('name') ?? value.cls.node;
          const initSyntax = init
            ? fromSyntax(init.node, `class ${name}`, (): { readonly required: number; selectors?: SelectorCalls } => ({
                required: requiredParameters(init.node, true),
              }))
            : undefined;
          if (init && initSyntax && initSyntax.required > 0) {
            // An imported class's selector literals could come from its own module, which the key does not hold.
            if (!interpreter.isLocal(value.cls.node)) continue;
            initSyntax.selectors ??= selectorCalls(name, init.node, true);
            candidates.push(
              ...selectorCandidates(
                name,
                initSyntax.selectors,
                nameNode,
                (call) => {
                  const { positional, keywords } = selectorArguments(call);
                  const made = interpreter.instantiate(value.cls, positional, keywords, nameNode);
                  return made.kind === 'module' ? { module: made.module, source: map.range(nameNode) } : undefined;
                },
                'class',
              ),
            );
            continue;
          }
          if (!init && value.cls.bases.every((b) => b.kind !== 'userClass')) continue;
          candidates.push({
            name,
            outcome: evaluate(name, 'class', nameNode, () => {
              const made = interpreter.instantiate(value.cls, [], new Map(), nameNode);
              return made.kind === 'module' ? { module: made.module, source: map.range(nameNode) } : undefined;
            }),
          });
        }

        // Calls in the `if __name__ == "__main__":` block: the models the file's author runs.
        // A __main__ guard names the literal: most files have none, and walking the module level costs a keystroke.
        for (const call of text.includes('__main__') ? mainBlockCalls(root) : []) {
          const callee = interpreter.globals.vars.get(call.callee);
          const isClass = callee?.kind === 'userClass' && isModuleClass(callee.cls);
          const code = callee?.kind === 'function' ? callee.fn.node : isClass ? callee.cls.node : undefined;
          if (!code || candidates.some((c) => c.name === call.name)) continue;
          // Argument-free ones are found above (or left out as a component of another model).
          if (call.name === `${call.callee}()`) continue;
          const site = map.range(call.node);
          candidates.push({
            name: call.name,
            outcome: evaluate(call.name, 'factory', site, (found) => {
              const result = interpreter.eval(call.node, interpreter.globals, frame);
              return factoryModel(call.name, code, result, found, site);
            }),
          });
        }
      }
      memo?.end();
      for (const c of candidates) diagnostics.push(...c.outcome.diagnostics);
      // A class used inside another candidate is a component, not a model of its own.
      const networks: Network[] = candidates
        .filter((c) => {
          if (c.named) return c.outcome.model !== undefined;
          const own = c.outcome.model?.ownClass;
          return (
            own !== undefined && !candidates.some((other) => other !== c && other.outcome.model?.below.includes(own))
          );
        })
        .map((c) => (c.outcome.model as NonNullable<CandidateOutcome['model']>).network);
      if (networks.length === 0 && !diagnostics.some((d) => d.severity === 'error')) {
        const expected =
          'expected an nn.Module class constructible with its defaults, a function returning one ' +
          '(argument-free, or selecting it by a string), a module-level instance or a call in the __main__ block';
        diagnostics.push(at(origin, 'RL108', `no PyTorch model found: ${expected}; name one with --model`, 'info'));
      }
      return { network: networks[0], networks, diagnostics };
    },
    memo,
    search,
  );
}

/** The arguments of a call that selects a model by a literal. */
function selectorArguments(call: SelectorCall): { positional: PyValue[]; keywords: Map<string, PyValue> } {
  const literal: PyValue = { kind: 'string', value: call.literal };
  if (call.positional) return { positional: [literal], keywords: new Map() };
  return { positional: [], keywords: new Map([[call.parameter, literal]]) };
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
