import type { Node } from 'web-tree-sitter';
import { Abort, MAX_LOOP, type Frame, type Signal } from './evaluator-base';
import type { LoadedModule } from './module-loader';
import { Builtins } from './builtins';
import { describeValue, isResolvedBase } from './classes';
import { NONE, Scope, truthy, unknownModule, unknownValue, type PyValue, type UserClass } from './values';

export type { Frame } from './evaluator-base';
export { Abort } from './evaluator-base';
export { findMethod, isModuleClass, torchBaseOf } from './classes';
export { clones, cloneModule } from './module-tree';

/**
 * The static evaluator of a Python module: statements (here), on builtins, calls, expressions
 * and the shared base. It runs module construction code without running Python, and never guesses.
 */
export class Interpreter extends Builtins {
  // ---------- module level ----------

  runModule(root: Node): void {
    this.mainTree = root.tree;
    this.entryProblem = undefined;
    try {
      this.execBlock(
        this.kids(root).filter((c): c is Node => c !== null),
        this.globals,
        { tracing: false },
      );
    } finally {
      this.moduleProblem = this.entryProblem;
    }
  }

  // ---------- statements ----------

  execBlock(statements: readonly Node[], scope: Scope, frame: Frame): Signal {
    for (const statement of statements) {
      const signal = this.exec(statement, scope, frame);
      if (signal) return signal;
    }
    return undefined;
  }

  protected exec(node: Node, scope: Scope, frame: Frame): Signal {
    this.step(node);
    switch (this.typeOf(node)) {
      case 'expression_statement': {
        const inner = this.kids(node)[0];
        if (inner) this.eval(inner, scope, frame);
        return undefined;
      }
      case 'import_statement':
      case 'import_from_statement':
        this.execImport(node, scope);
        return undefined;
      case 'function_definition':
      case 'decorated_definition': {
        const def = this.typeOf(node) === 'decorated_definition' ? this.field(node, 'definition') : node;
        if (!def) return undefined;
        if (this.typeOf(def) === 'class_definition') return this.exec(def, scope, frame);
        const name = this.field(def, 'name')?.text;
        if (name) scope.set(name, { kind: 'function', fn: { name, node: def, scope } });
        return undefined;
      }
      case 'class_definition':
        this.defineClass(node, scope, frame);
        return undefined;
      case 'return_statement': {
        const value = this.kids(node)[0];
        return { kind: 'return', value: value ? this.eval(value, scope, frame) : NONE };
      }
      case 'if_statement':
        return this.execIf(node, scope, frame);
      case 'for_statement':
        return this.execFor(node, scope, frame);
      case 'while_statement':
        this.markIncomplete(frame, 'a while loop');
        return undefined;
      case 'break_statement':
        return { kind: 'break' };
      case 'continue_statement':
        return { kind: 'continue' };
      case 'raise_statement':
        // A raise on the evaluated path means these arguments are invalid for the model.
        this.markIncomplete(frame, 'the code raises an exception for these arguments');
        return { kind: 'return', value: unknownValue('raised') };
      case 'with_statement': {
        const block = this.field(node, 'body');
        return this.execBlock(this.body(block), scope, frame);
      }
      case 'try_statement': {
        const block = this.field(node, 'body');
        return this.execBlock(this.body(block), scope, frame);
      }
      default:
        return undefined;
    }
  }

  protected execImport(node: Node, scope: Scope): void {
    if (this.typeOf(node) === 'import_statement') {
      for (const child of this.kids(node)) {
        if (!child) continue;
        if (this.typeOf(child) === 'aliased_import') {
          const dotted = this.field(child, 'name')?.text ?? '';
          const alias = this.field(child, 'alias')?.text;
          if (alias) scope.set(alias, { kind: 'namespace', path: dotted });
        } else if (this.typeOf(child) === 'dotted_name') {
          const first = child.text.split('.')[0] ?? '';
          scope.set(first, { kind: 'namespace', path: first });
        }
      }
      return;
    }
    const moduleNode = this.field(node, 'module_name');
    const written = moduleNode?.text ?? '';
    // Relative imports name modules of this file's package; without a package they stay as written.
    let root = scope;
    while (root.parent) root = root.parent;
    const moduleName =
      (this.loader && written ? this.loader.absolute(written, this.loader.moduleOfScope(root)) : undefined) ?? written;
    if (this.kids(node).some((c) => this.typeOf(c) === 'wildcard_import')) {
      this.importAll(moduleName, scope);
      return;
    }
    for (const child of this.kids(node)) {
      // Node objects are wrappers made per access: compare ids, not objects.
      if (!child || child.id === moduleNode?.id) continue;
      let name = child.text;
      let alias = child.text;
      if (this.typeOf(child) === 'aliased_import') {
        name = this.field(child, 'name')?.text ?? '';
        alias = this.field(child, 'alias')?.text ?? name;
      } else if (this.typeOf(child) !== 'dotted_name') {
        continue;
      }
      scope.set(alias, this.attributeOf({ kind: 'namespace', path: moduleName }, name));
    }
  }

  /** `from m import *`: the module's public names (its __all__ when it lists them). */
  private importAll(moduleName: string, scope: Scope): void {
    const module = this.loader?.module(moduleName);
    if (!module) return;
    const all = module.scope.vars.get('__all__');
    const names =
      all?.kind === 'list' && all.items.every((i) => i.kind === 'string')
        ? all.items.map((i) => (i as { value: string }).value)
        : [...module.scope.vars.keys()].filter((n) => !n.startsWith('_'));
    for (const name of names) scope.set(name, this.attributeOf({ kind: 'namespace', path: moduleName }, name));
  }

  /** Runs an imported module's top level into its own scope (the loader calls it once per module). */
  readonly runImported = (root: Node, scope: Scope, module: LoadedModule): void => {
    // Its own budget and problems: an imported module's unknowns are in the values it defines.
    const saved = { steps: this.steps, entryProblem: this.entryProblem, depth: this.depth };
    this.depth = 0;
    try {
      this.execBlock(this.kids(root), scope, { tracing: false });
    } catch (e) {
      if (!(e instanceof Abort)) throw e;
      module.state = 'failed';
      module.reason = `${module.file}: ${e.message}`;
    } finally {
      this.steps = saved.steps;
      this.entryProblem = saved.entryProblem;
      this.depth = saved.depth;
    }
  };

  protected defineClass(node: Node, scope: Scope, frame: Frame): void {
    const name = this.field(node, 'name')?.text;
    if (!name) return;
    const superclasses = this.field(node, 'superclasses');
    const bases = (superclasses ? this.kids(superclasses) : [])
      .filter((c): c is Node => c !== null && this.typeOf(c) !== 'keyword_argument')
      .map((c) => this.eval(c, scope, frame));
    const baseNodes = (superclasses ? this.kids(superclasses) : []).filter(
      (c) => this.typeOf(c) !== 'keyword_argument',
    );
    const unresolved = bases.findIndex((b) => !isResolvedBase(b));
    const unresolvedBase =
      unresolved < 0
        ? undefined
        : `the base class ${baseNodes[unresolved]?.text.slice(0, 60) ?? '?'} of ${name} is ` +
          `not statically known (${describeValue(bases[unresolved] as PyValue)})`;
    const fields: string[] = [];
    const decorated = node.parent?.type === 'decorated_definition' ? node.parent : null;
    const isDataclass =
      (decorated ? this.kids(decorated) : []).some(
        (c) => this.typeOf(c) === 'decorator' && /^@(dataclasses\.)?dataclass\b/.test(c.text),
      ) || bases.some((b) => b.kind === 'namespace' && /(^|\.)NamedTuple$/.test(b.path));
    const cls: UserClass = {
      name,
      node,
      bases,
      attributes: new Map(),
      methods: new Map(),
      ...(unresolvedBase ? { unresolvedBase } : {}),
      ...(isDataclass ? { fields } : {}),
    };
    const classScope = new Scope(scope);
    for (const statement of this.body(this.field(node, 'body'))) {
      const def = this.typeOf(statement) === 'decorated_definition' ? this.field(statement, 'definition') : statement;
      if (def?.type === 'function_definition') {
        const method = this.field(def, 'name')?.text;
        const decorators =
          this.typeOf(statement) === 'decorated_definition'
            ? this.kids(statement)
                .filter((c) => this.typeOf(c) === 'decorator')
                .map((c) => c.text)
            : [];
        const binding = decorators.includes('@staticmethod')
          ? 'static'
          : decorators.includes('@classmethod')
            ? 'class'
            : undefined;
        if (method) cls.methods.set(method, { name: method, node: def, scope, ...(binding ? { binding } : {}) });
      } else if (this.typeOf(statement) === 'expression_statement') {
        const assignment = this.kids(statement)[0];
        const annotated = assignment?.type === 'assignment' ? this.field(assignment, 'type') : null;
        const fieldName = annotated ? this.field(assignment as Node, 'left') : null;
        if (fieldName?.type === 'identifier') fields.push(fieldName.text);
        const target = assignment ? this.field(assignment, 'left') : null;
        const right = assignment ? this.field(assignment, 'right') : null;
        if (assignment?.type === 'assignment' && target?.type === 'identifier' && right) {
          const value = this.eval(right, classScope, frame);
          classScope.set(target.text, value);
          cls.attributes.set(target.text, value);
        }
      }
    }
    scope.set(name, { kind: 'userClass', cls });
  }

  protected execIf(node: Node, scope: Scope, frame: Frame): Signal {
    const condition = this.field(node, 'condition');
    const alternatives = this.fields(node, 'alternative');
    const bodyOf = (clause: Node): Node[] =>
      this.body(this.field(clause, this.typeOf(clause) === 'else_clause' ? 'body' : 'consequence'));
    const decided = condition ? truthy(this.eval(condition, scope, frame)) : undefined;
    if (decided === undefined)
      return this.uncertainBranches([bodyOf(node), ...alternatives.map(bodyOf)], condition, scope, frame);
    if (decided) return this.execBlock(bodyOf(node), scope, frame);
    for (const [i, alternative] of alternatives.entries()) {
      if (this.typeOf(alternative) === 'elif_clause') {
        const c = this.field(alternative, 'condition');
        const d = c ? truthy(this.eval(c, scope, frame)) : undefined;
        if (d === undefined) return this.uncertainBranches(alternatives.slice(i).map(bodyOf), c, scope, frame);
        if (d) return this.execBlock(bodyOf(alternative), scope, frame);
      } else {
        return this.execBlock(bodyOf(alternative), scope, frame);
      }
    }
    return undefined;
  }

  /**
   * Branches of which any (or none) may run. Ones that only raise, pass or log change nothing
   * (a raise means there is no model on that path). Names they assign become unknown; any other
   * effect makes what is being built incomplete, and a return makes the function's result unknown.
   */
  protected uncertainBranches(bodies: readonly Node[][], condition: Node | null, scope: Scope, frame: Frame): Signal {
    const reason = `the condition "${condition?.text.slice(0, 60) ?? ''}" is not statically known`;
    const effects = { names: new Set<string>(), other: false, returns: false };
    for (const body of bodies) this.collectEffects(body, effects);
    for (const name of effects.names) scope.set(name, unknownModule(reason));
    if (effects.other || effects.returns) this.markIncomplete(frame, reason);
    return effects.returns ? { kind: 'return', value: unknownModule(reason) } : undefined;
  }

  protected collectEffects(
    statements: readonly Node[],
    effects: { names: Set<string>; other: boolean; returns: boolean },
  ): void {
    const names = (target: Node): boolean => {
      const type = this.typeOf(target);
      if (type === 'identifier') {
        effects.names.add(target.text);
        return true;
      }
      if (['pattern_list', 'tuple_pattern', 'list_pattern', 'tuple', 'list'].includes(type))
        return this.kids(target).every(names);
      return false;
    };
    for (const statement of statements) {
      switch (this.typeOf(statement)) {
        case 'pass_statement':
        case 'raise_statement':
        case 'comment':
        case 'break_statement':
        case 'continue_statement':
          break;
        case 'return_statement':
          effects.returns = true;
          break;
        case 'function_definition':
        case 'class_definition': {
          const name = this.field(statement, 'name');
          if (name) effects.names.add(name.text);
          break;
        }
        case 'expression_statement': {
          const inner = this.kids(statement)[0];
          const type = inner ? this.typeOf(inner) : 'string';
          if (type === 'string' || type === 'concatenated_string') break;
          if (type === 'assignment' && inner) {
            const left = this.field(inner, 'left');
            if (left && names(left)) break;
          }
          if (
            type === 'call' &&
            inner &&
            /^(print|warnings\.warn|logging\.\w+|logger\.\w+|log\.\w+)$/.test(this.field(inner, 'function')?.text ?? '')
          )
            break;
          effects.other = true;
          break;
        }
        case 'if_statement':
        case 'for_statement':
        case 'while_statement':
        case 'with_statement':
        case 'try_statement': {
          // Every block inside: the consequence, alternatives, loop bodies, handlers.
          const blocks = statement.descendantsOfType('block').filter((b): b is Node => b !== null);
          for (const block of blocks)
            if (this.nearestStatementAbove(block) === statement) this.collectEffects(this.body(block), effects);
          if (this.typeOf(statement) === 'for_statement') {
            const left = this.field(statement, 'left');
            if (left && !names(left)) effects.other = true;
          }
          break;
        }
        default:
          effects.other = true;
      }
    }
  }

  /** The compound statement a block belongs to. */
  protected nearestStatementAbove(block: Node): Node | null {
    let current = block.parent;
    while (
      current &&
      ['elif_clause', 'else_clause', 'except_clause', 'finally_clause', 'except_group_clause'].includes(current.type)
    )
      current = current.parent;
    return current;
  }

  protected execFor(node: Node, scope: Scope, frame: Frame): Signal {
    const right = this.field(node, 'right');
    const left = this.field(node, 'left');
    if (!right || !left) return undefined;
    const iterable = this.eval(right, scope, frame);
    const items = this.iterate(iterable);
    if (items === 'opaque') return undefined;
    if (!items) {
      this.markIncomplete(frame, `the loop over "${right.text.slice(0, 60)}" is not statically known`);
      return undefined;
    }
    let count = 0;
    for (const item of items) {
      if (++count > MAX_LOOP) this.abort('a loop runs too long to evaluate statically', node);
      this.assign(left, item, scope, frame);
      const signal = this.execBlock(this.body(this.field(node, 'body')), scope, frame);
      if (signal?.kind === 'break') break;
      if (signal?.kind === 'return') return signal;
    }
    return undefined;
  }
}
