import type { Node } from 'web-tree-sitter';
import { pythonRound } from '../../util/python-round';
import { activation as activationLayer, conv, pool } from '../../build/layers';
import type { ActivationFunction } from '../../ir/layers';
import { bindArguments, buildTorchLayer, intFact, isTorchLayerClass, torchActivation } from './torch-layers';
import type { PythonSourceMap } from './python-parser';
import type { SourceRange } from '../../ir/source';
import { KerasRecorder } from '../keras/keras-recorder';
import { GlobalScope, mergeDependencies, noDependencies, type Dependencies } from './dependencies';
import {
  asNumber, NONE, num, Scope, truthy, unknownModule, unknownValue,
  type ModuleNode, type PyValue, type TensorOp, type UserClass, type UserFunction,
} from './values';

/** Evaluation stops (and says why) past these, so a hostile or huge file cannot hang the editor. */
const MAX_STEPS = 400_000;
/** A file with many models may take several models' budgets, within reason. */
const MAX_FILE_STEPS = 4_000_000;
const MAX_DEPTH = 60;
const MAX_LOOP = 10_000;
/** Far above the largest real CNNs (ResNet-152 and RobArch-L have under 600 layers). */
const MAX_LAYERS = 5_000;
/** Lists, tuples and strings past these are hostile or not model code (`l = l + l` 64 times). */
const MAX_ITEMS = 100_000;
const MAX_STRING = 1_000_000;

/** Evaluation stopped: why, and where (the statement or expression it was at). */
class Abort extends Error {
  constructor(message: string, readonly range?: SourceRange) {
    super(message);
  }
}

type Signal = { kind: 'return'; value: PyValue } | { kind: 'break' } | { kind: 'continue' } | undefined;

interface Frame {
  /** The module under construction, which an unknowable branch makes incomplete. */
  readonly self?: ModuleNode;
  /** Forward tracing: tensors flow, module calls record operations. */
  readonly tracing: boolean;
}

const CONTAINERS = new Set(['Sequential', 'ModuleList', 'ModuleDict', 'Module']);
const OPAQUE_ITERATORS = new Set(['modules', 'children', 'named_modules', 'named_children', 'parameters', 'named_parameters', 'buffers']);
const FUNCTIONAL_ACTIVATIONS: Record<string, string> = {
  relu: 'ReLU', relu_: 'ReLU', relu6: 'ReLU6', silu: 'SiLU', gelu: 'GELU', mish: 'Mish', hardswish: 'Hardswish',
  sigmoid: 'Sigmoid', tanh: 'Tanh', elu: 'ELU', leaky_relu: 'LeakyReLU', softplus: 'Softplus',
};

export type { Frame };

/** `keras.layers`, `tf.keras.layers`, `tensorflow.keras.layers`: where Keras layer classes live. */
function isKerasLayers(path: string): boolean {
  return /^(tensorflow\.|tf\.)?keras\.layers$/.test(path);
}

function isKeras(path: string): boolean {
  return /^(tensorflow\.|tf\.)?keras(\.models)?$/.test(path);
}

/** Import roots whose CapWords callables are not layers (typing.NamedTuple, collections.OrderedDict...). */
const NON_MODULE_ROOTS = new Set(['typing', 'collections', 'dataclasses', 'enum', 'functools', 'itertools', 'math', 'numpy', 'np', 'pathlib', 'os', 'sys', 're', 'json', 'abc', 'argparse', 'logging', 'warnings', 'copy']);

export class Interpreter {
  readonly globals = new GlobalScope();
  readonly keras = new KerasRecorder();
  private steps = 0;
  private depth = 0;
  private layersBuilt = 0;

  constructor(private readonly map: PythonSourceMap, moduleName = 'model') {
    for (const name of ['range', 'len', 'int', 'float', 'round', 'min', 'max', 'sum', 'abs', 'list', 'tuple', 'enumerate', 'zip', 'isinstance', 'print', 'getattr', 'setattr', 'hasattr', 'dict', 'bool', 'str', 'reversed', 'sorted', 'any', 'all', 'super', 'object']) {
      this.globals.set(name, { kind: 'builtin', name });
    }
    // Read as a library, never as a script: `if __name__ == "__main__":` blocks do not run.
    this.globals.set('__name__', { kind: 'string', value: moduleName });
  }

  // ---------- syntax access ----------
  // tree-sitter's WebAssembly nodes cost a call across the boundary on every access; the
  // evaluator revisits the same class bodies for every block, so children are cached per node.
  private readonly kidsCache = new Map<number, Node[]>();
  private readonly fieldCache = new Map<number, Map<string, Node | null>>();
  private readonly fieldsCache = new Map<number, Map<string, Node[]>>();

  private readonly typeCache = new Map<number, string>();

  /** A node's grammar type (a WebAssembly call uncached). */
  typeOf(node: Node): string {
    let type = this.typeCache.get(node.id);
    if (type === undefined) {
      type = node.type;
      this.typeCache.set(node.id, type);
    }
    return type;
  }

  kids(node: Node): Node[] {
    let cached = this.kidsCache.get(node.id);
    if (!cached) {
      cached = node.namedChildren.filter((c): c is Node => c !== null);
      this.kidsCache.set(node.id, cached);
    }
    return cached;
  }

  field(node: Node, name: string): Node | null {
    let byName = this.fieldCache.get(node.id);
    if (!byName) {
      byName = new Map();
      this.fieldCache.set(node.id, byName);
    }
    if (!byName.has(name)) byName.set(name, node.childForFieldName(name));
    return byName.get(name) ?? null;
  }

  fields(node: Node, name: string): Node[] {
    let byName = this.fieldsCache.get(node.id);
    if (!byName) {
      byName = new Map();
      this.fieldsCache.set(node.id, byName);
    }
    let list = byName.get(name);
    if (!list) {
      list = node.childrenForFieldName(name).filter((c): c is Node => c !== null);
      byName.set(name, list);
    }
    return list;
  }

  // ---------- module level ----------

  runModule(root: Node): void {
    this.entryProblem = undefined;
    try {
      this.execBlock(this.kids(root).filter((c): c is Node => c !== null), this.globals, { tracing: false });
    } finally {
      this.moduleProblem = this.entryProblem;
    }
  }

  private fileSteps = 0;

  /** The node being evaluated, where an abort points. */
  private at: Node | undefined;

  private step(node: Node): void {
    this.at = node;
    if (++this.steps > MAX_STEPS) this.abort('the model takes too long to evaluate statically');
    if (++this.fileSteps > MAX_FILE_STEPS) this.abort('the file takes too long to evaluate statically');
  }

  /** Stops evaluation with a reason and the location being evaluated. */
  abort(message: string, node: Node | undefined = this.at): never {
    throw new Abort(message, node ? this.map.range(node) : undefined);
  }

  /** A list or tuple of `length` items, or an abort when that is more than any model needs. */
  private checkItems(length: number): void {
    if (length > MAX_ITEMS) this.abort(`a list of ${length.toLocaleString('en-US')} items is too large to evaluate statically`);
  }

  private checkString(length: number): void {
    if (length > MAX_STRING) this.abort(`a string of ${length.toLocaleString('en-US')} characters is too large to evaluate statically`);
  }

  /** Each model (factory call, class instantiation) gets its own step and layer budget. */
  beginEntry(): void {
    this.steps = 0;
    this.layersBuilt = 0;
    this.entryProblem = this.moduleProblem;
  }

  /** Set by a caller that reuses results across edits: instance clones then carry their dependencies. */
  trackDependencies = false;

  /** Runs `evaluate` recording what it depends on; nested recordings add to the outer one. */
  recordDependencies<T>(evaluate: () => T): { readonly value: T; readonly dependencies: Dependencies } {
    const outer = this.globals.recording;
    const dependencies = noDependencies();
    this.globals.recording = dependencies;
    try {
      return { value: evaluate(), dependencies };
    } finally {
      this.globals.recording = outer;
      if (outer) mergeDependencies(outer, dependencies);
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

  private body(node: Node | null): Node[] {
    return node ? this.kids(node).filter((c): c is Node => c !== null && this.typeOf(c) !== 'comment') : [];
  }

  private exec(node: Node, scope: Scope, frame: Frame): Signal {
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

  private execImport(node: Node, scope: Scope): void {
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
    const moduleName = moduleNode?.text ?? '';
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

  private defineClass(node: Node, scope: Scope, frame: Frame): void {
    const name = this.field(node, 'name')?.text;
    if (!name) return;
    const superclasses = this.field(node, 'superclasses');
    const bases = (superclasses ? this.kids(superclasses) : [])
      .filter((c): c is Node => c !== null && this.typeOf(c) !== 'keyword_argument')
      .map((c) => this.eval(c, scope, frame));
    const baseNodes = (superclasses ? this.kids(superclasses) : []).filter((c) => this.typeOf(c) !== 'keyword_argument');
    const unresolved = bases.findIndex((b) => !isResolvedBase(b));
    const unresolvedBase = unresolved < 0 ? undefined
      : `the base class ${baseNodes[unresolved]?.text.slice(0, 60) ?? '?'} of ${name} is not statically known (${describeValue(bases[unresolved] as PyValue)})`;
    const cls: UserClass = { name, node, bases, attributes: new Map(), methods: new Map(), ...(unresolvedBase ? { unresolvedBase } : {}) };
    const classScope = new Scope(scope);
    for (const statement of this.body(this.field(node, 'body'))) {
      const def = this.typeOf(statement) === 'decorated_definition' ? this.field(statement, 'definition') : statement;
      if (def?.type === 'function_definition') {
        const method = this.field(def, 'name')?.text;
        if (method) cls.methods.set(method, { name: method, node: def, scope });
      } else if (this.typeOf(statement) === 'expression_statement') {
        const assignment = this.kids(statement)[0];
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

  private execIf(node: Node, scope: Scope, frame: Frame): Signal {
    const condition = this.field(node, 'condition');
    const alternatives = this.fields(node, 'alternative');
    const bodyOf = (clause: Node): Node[] => this.body(this.field(clause, this.typeOf(clause) === 'else_clause' ? 'body' : 'consequence'));
    const decided = condition ? truthy(this.eval(condition, scope, frame)) : undefined;
    if (decided === undefined) return this.uncertainBranches([bodyOf(node), ...alternatives.map(bodyOf)], condition, scope, frame);
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
  private uncertainBranches(bodies: readonly Node[][], condition: Node | null, scope: Scope, frame: Frame): Signal {
    const reason = `the condition "${condition?.text.slice(0, 60) ?? ''}" is not statically known`;
    const effects = { names: new Set<string>(), other: false, returns: false };
    for (const body of bodies) this.collectEffects(body, effects);
    for (const name of effects.names) scope.set(name, unknownModule(reason));
    if (effects.other || effects.returns) this.markIncomplete(frame, reason);
    return effects.returns ? { kind: 'return', value: unknownModule(reason) } : undefined;
  }

  private collectEffects(statements: readonly Node[], effects: { names: Set<string>; other: boolean; returns: boolean }): void {
    const names = (target: Node): boolean => {
      const type = this.typeOf(target);
      if (type === 'identifier') {
        effects.names.add(target.text);
        return true;
      }
      if (['pattern_list', 'tuple_pattern', 'list_pattern', 'tuple', 'list'].includes(type)) return this.kids(target).every(names);
      return false;
    };
    for (const statement of statements) {
      switch (this.typeOf(statement)) {
        case 'pass_statement': case 'raise_statement': case 'comment': case 'break_statement': case 'continue_statement':
          break;
        case 'return_statement':
          effects.returns = true;
          break;
        case 'function_definition': case 'class_definition': {
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
          if (type === 'call' && inner && /^(print|warnings\.warn|logging\.\w+|logger\.\w+|log\.\w+)$/.test(this.field(inner, 'function')?.text ?? '')) break;
          effects.other = true;
          break;
        }
        case 'if_statement': case 'for_statement': case 'while_statement': case 'with_statement': case 'try_statement': {
          // Every block inside: the consequence, alternatives, loop bodies, handlers.
          const blocks = statement.descendantsOfType('block').filter((b): b is Node => b !== null);
          for (const block of blocks) if (this.nearestStatementAbove(block) === statement) this.collectEffects(this.body(block), effects);
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
  private nearestStatementAbove(block: Node): Node | null {
    let current = block.parent;
    while (current && ['elif_clause', 'else_clause', 'except_clause', 'finally_clause', 'except_group_clause'].includes(current.type)) current = current.parent;
    return current;
  }

  private execFor(node: Node, scope: Scope, frame: Frame): Signal {
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

  /** The items of an iterable, 'opaque' for iterations that only initialise weights, undefined when unknown. */
  private iterate(value: PyValue): PyValue[] | 'opaque' | undefined {
    if ((value.kind === 'list' || value.kind === 'dict') && value.tainted) return undefined;
    if (value.kind === 'list') return value.items;
    if (value.kind === 'dict') return [...value.entries.keys()].map((k) => ({ kind: 'string', value: k }));
    if (value.kind === 'string') return [...value.value].map((c) => ({ kind: 'string', value: c }));
    if (value.kind === 'module') return [...value.module.children.values()].map((m) => ({ kind: 'module', module: m }));
    if (value.kind === 'unknown' && value.reason === 'opaque') return 'opaque';
    return undefined;
  }

  /** Set when a traced forward met something it could not follow (its facts are then unknown). */
  traceProblem: string | undefined;

  /**
   * A call into code we cannot follow. It may change what it is given (torchvision's
   * `_ovewrite_named_param(kwargs, ...)`): those lists and dicts are no longer known.
   */
  private opaqueCall(reason: string, positional: readonly PyValue[], keywords: ReadonlyMap<string, PyValue>): PyValue {
    for (const arg of [...positional, ...keywords.values()]) {
      if (arg.kind === 'list' || arg.kind === 'dict') arg.tainted ??= `it was passed to ${reason}`;
    }
    // What it returns may be a module (a model from a factory we cannot read).
    return unknownModule(reason);
  }

  /** A call whose arguments are unknown: its result is unknown, and so is the module being built. */
  private unknownCall(reason: string, frame: Frame): PyValue {
    this.markIncomplete(frame, reason);
    return unknownValue(reason);
  }

  private markIncomplete(frame: Frame, reason: string): void {
    if (frame.tracing) this.traceProblem ??= reason;
    else if (frame.self) frame.self.incomplete ??= reason;
    else this.entryProblem ??= reason;
  }

  /**
   * Something the current model's code (a factory, outside any module's __init__) could not
   * follow and that may change what it builds: the model it returns is then incomplete.
   */
  entryProblem: string | undefined;
  /** The same for the file's module level, which every model may read. */
  moduleProblem: string | undefined;

  // ---------- assignment ----------

  private assign(target: Node, value: PyValue, scope: Scope, frame: Frame): void {
    switch (this.typeOf(target)) {
      case 'identifier':
        if (scope === this.globals) {
          this.globalsEpoch++;
          if (this.globals.recording) this.globals.recording.wroteGlobals = true;
        }
        scope.set(target.text, value);
        return;
      case 'pattern_list':
      case 'tuple_pattern':
      case 'list_pattern':
      case 'tuple':
      case 'list': {
        const targets = this.kids(target).filter((c): c is Node => c !== null);
        const items = value.kind === 'list' ? value.items : undefined;
        targets.forEach((t, i) => this.assign(t, items?.[i] ?? unknownValue('unpacking an unknown value'), scope, frame));
        return;
      }
      case 'attribute': {
        const object = this.field(target, 'object');
        const attribute = this.field(target, 'attribute')?.text;
        if (!object || !attribute) return;
        const owner = this.eval(object, scope, frame);
        if (owner.kind === 'module') this.setModuleAttribute(owner.module, attribute, value);
        else if (value.kind === 'module' || (value.kind === 'unknown' && value.maybeModule)) {
          // A module stored where we cannot see it may still be registered on the model.
          this.markIncomplete(frame, `a module is stored on "${object.text.slice(0, 60)}", which is not statically known`);
        }
        return;
      }
      case 'subscript': {
        const object = this.field(target, 'value');
        const index = this.field(target, 'subscript');
        if (!object || !index) return;
        const owner = this.eval(object, scope, frame);
        const key = this.eval(index, scope, frame);
        const text = keyText(key);
        const at = key.kind === 'number' && key.isInt && owner.kind === 'list' ? (key.value < 0 ? owner.items.length + key.value : key.value) : -1;
        if (owner.kind === 'list' && at >= 0 && at < owner.items.length) owner.items[at] = value;
        else if (owner.kind === 'list') owner.tainted ??= `an item assigned at "${index.text.slice(0, 60)}" is not statically known`;
        else if (owner.kind === 'dict' && text !== undefined) owner.entries.set(text, value);
        else if (owner.kind === 'dict') owner.tainted ??= `the key "${index.text.slice(0, 60)}" is not statically known`;
        else if (owner.kind === 'module' && value.kind === 'module' && text !== undefined) owner.module.children.set(text, value.module);
        else if (owner.kind === 'module') {
          const what = text === undefined ? `the key "${index.text.slice(0, 60)}" is not statically known` : `${owner.module.className}[${text}] is not a module statically known`;
          if (!owner.module.incomplete) owner.module.incomplete = what;
        } else if (value.kind === 'module' || (value.kind === 'unknown' && value.maybeModule)) {
          this.markIncomplete(frame, `a module is stored in "${object.text.slice(0, 60)}", which is not statically known`);
        }
        return;
      }
      default:
        return;
    }
  }


  /** ModuleList.append/insert: children keyed 0, 1, ... in order (insert renumbers, as PyTorch does). */
  private addIndexed(module: ModuleNode, child: ModuleNode, at: number | undefined): void {
    const children = [...module.children.values()];
    const index = at === undefined ? children.length : Math.max(0, Math.min(children.length, at < 0 ? children.length + at : at));
    children.splice(index, 0, child);
    module.children.clear();
    children.forEach((c, i) => module.children.set(String(i), c));
  }

  setModuleAttribute(module: ModuleNode, name: string, value: PyValue): void {
    if (value.kind === 'unknown' && value.maybeModule && !module.incomplete) {
      module.incomplete = /^[\w.]+\(\.\.\.\)$/.test(value.reason)
        ? `${name} is ${value.reason}, a class this file does not define: its parameters are unknown`
        : `${name} may be a module not statically known (${value.reason}): its parameters are unknown`;
    }
    if (value.kind === 'module') {
      module.children.set(name, value.module);
      module.attributes.delete(name);
    } else if (value.kind === 'none' && module.children.has(name)) {
      module.children.delete(name);
      module.attributes.set(name, value);
    } else {
      module.attributes.set(name, value);
    }
  }

  // ---------- expressions ----------

  eval(node: Node, scope: Scope, frame: Frame): PyValue {
    this.step(node);
    switch (this.typeOf(node)) {
      case 'integer': {
        const text = node.text.replace(/_/g, '').toLowerCase();
        const value = text.startsWith('0x') ? parseInt(text, 16) : text.startsWith('0o') ? parseInt(text.slice(2), 8) : text.startsWith('0b') ? parseInt(text.slice(2), 2) : Number(text);
        return Number.isSafeInteger(value) ? num(value, true) : unknownValue('an integer past 2^53, which is not computed exactly here');
      }
      case 'float':
        return num(Number(node.text.replace(/_/g, '')), false);
      case 'true':
        return { kind: 'bool', value: true };
      case 'false':
        return { kind: 'bool', value: false };
      case 'none':
        return NONE;
      case 'string':
      case 'concatenated_string':
        if (/^[rbu]*f/i.test(node.text) && node.text.includes('{')) return this.fString(node, scope, frame);
        return { kind: 'string', value: stringValue(node.text) };
      case 'identifier':
        return scope.get(node.text) ?? unknownValue(`"${node.text}" is not defined statically`);
      case 'parenthesized_expression': {
        const inner = this.kids(node)[0];
        return inner ? this.eval(inner, scope, frame) : NONE;
      }
      case 'list':
      case 'tuple':
      case 'expression_list':
        return { kind: 'list', items: this.evalItems(this.kids(node), scope, frame), tuple: this.typeOf(node) !== 'list' };
      case 'dictionary': {
        const entries = new Map<string, PyValue>();
        for (const item of this.kids(node)) {
          const type = this.typeOf(item);
          if (type === 'comment') continue;
          if (type === 'dictionary_splat') {
            const inner = this.kids(item)[0];
            const spread = inner ? this.eval(inner, scope, frame) : NONE;
            if (spread.kind !== 'dict' || spread.tainted) return unknownValue(`the dict **${inner?.text.slice(0, 60) ?? ''} is not statically known`);
            for (const [k, v] of spread.entries) entries.set(k, v);
            continue;
          }
          const key = type === 'pair' ? this.field(item, 'key') : null;
          const value = type === 'pair' ? this.field(item, 'value') : null;
          if (!key || !value) return unknownValue('a dict entry that is not statically known');
          const text = keyText(this.eval(key, scope, frame));
          if (text === undefined) return unknownValue(`the dict key "${key.text.slice(0, 60)}" is not statically known`);
          entries.set(text, this.eval(value, scope, frame));
        }
        return { kind: 'dict', entries };
      }
      case 'list_comprehension':
      case 'generator_expression':
        return this.comprehension(node, scope, frame);
      case 'attribute': {
        const object = this.field(node, 'object');
        const attribute = this.field(node, 'attribute')?.text ?? '';
        if (!object) return unknownValue('an attribute');
        return this.attributeOf(this.eval(object, scope, frame), attribute);
      }
      case 'subscript': {
        const object = this.field(node, 'value');
        const index = this.field(node, 'subscript');
        if (!object || !index) return unknownValue('a subscript');
        return this.subscript(this.eval(object, scope, frame), index, scope, frame);
      }
      case 'call':
        return this.evalCall(node, scope, frame);
      case 'binary_operator':
        return this.binary(node, scope, frame);
      case 'unary_operator': {
        const operand = this.field(node, 'argument');
        const value = operand ? this.eval(operand, scope, frame) : NONE;
        const op = this.field(node, 'operator')?.text;
        if (value.kind === 'number') return op === '-' ? num(-value.value, value.isInt) : value;
        return value.kind === 'tensor' ? value : unknownValue('an operation on an unknown value');
      }
      case 'not_operator': {
        const operand = this.field(node, 'argument');
        const t = operand ? truthy(this.eval(operand, scope, frame)) : undefined;
        return t === undefined ? unknownValue('not of an unknown value') : { kind: 'bool', value: !t };
      }
      case 'boolean_operator': {
        const left = this.field(node, 'left');
        const right = this.field(node, 'right');
        const op = this.field(node, 'operator')?.text;
        if (!left || !right) return unknownValue('a boolean expression');
        const l = this.eval(left, scope, frame);
        const lt = truthy(l);
        if (lt === undefined) return unknownModule(`"${left.text.slice(0, 60)}" is not statically known`);
        if (op === 'and') return lt ? this.eval(right, scope, frame) : l;
        return lt ? l : this.eval(right, scope, frame);
      }
      case 'comparison_operator':
        return this.compare(node, scope, frame);
      case 'conditional_expression': {
        const [whenTrue, condition, whenFalse] = this.kids(node);
        if (!whenTrue || !condition || !whenFalse) return unknownValue('a conditional expression');
        const t = truthy(this.eval(condition, scope, frame));
        if (t === undefined) return unknownModule(`the condition "${condition.text.slice(0, 60)}" is not statically known`);
        return this.eval(t ? whenTrue : whenFalse, scope, frame);
      }
      case 'assignment': {
        const left = this.field(node, 'left');
        const right = this.field(node, 'right');
        if (left && right) {
          const value = this.eval(right, scope, frame);
          this.assign(left, value, scope, frame);
        }
        return NONE;
      }
      case 'augmented_assignment': {
        const left = this.field(node, 'left');
        const right = this.field(node, 'right');
        const op = this.field(node, 'operator')?.text.replace('=', '') ?? '';
        if (!left || !right) return NONE;
        const value = this.arithmetic(op, this.eval(left, scope, frame), this.eval(right, scope, frame), node);
        this.assign(left, value, scope, frame);
        return NONE;
      }
      case 'lambda':
        return unknownValue('a lambda');
      default:
        return unknownValue(`a ${node.type.replace(/_/g, ' ')}`);
    }
  }

  /** f"layer{i}": literal parts and simple interpolations ({expr}, {expr:d}); anything else is unknown. */
  private fString(node: Node, scope: Scope, frame: Frame): PyValue {
    let out = '';
    for (const child of node.children) {
      if (!child) continue;
      const type = this.typeOf(child);
      if (type === 'string_content' || type === 'escape_sequence') out += child.text;
      else if (type === 'interpolation') {
        const expression = this.field(child, 'expression') ?? this.kids(child)[0];
        if (!expression || this.field(child, 'format_specifier') || this.field(child, 'type_conversion')) return unknownValue('an f-string with formatting');
        const value = this.eval(expression, scope, frame);
        const text = displayString(value);
        if (text === undefined) return unknownValue('an f-string of an unknown value');
        this.checkString(out.length + text.length);
        out += text;
      }
    }
    return { kind: 'string', value: out };
  }

  private evalItems(nodes: readonly (Node | null)[], scope: Scope, frame: Frame): PyValue[] {
    const items: PyValue[] = [];
    for (const child of nodes) {
      if (!child || this.typeOf(child) === 'comment') continue;
      if (this.typeOf(child) === 'list_splat') {
        const inner = this.kids(child)[0];
        const value = inner ? this.eval(inner, scope, frame) : NONE;
        if (value.kind === 'list') {
          this.checkItems(items.length + value.items.length);
          items.push(...value.items);
        } else items.push(unknownValue('a starred unknown value'));
      } else {
        items.push(this.eval(child, scope, frame));
      }
    }
    return items;
  }

  private comprehension(node: Node, scope: Scope, frame: Frame): PyValue {
    const body = this.field(node, 'body');
    const clauses = this.kids(node).filter((c): c is Node => c !== null && (this.typeOf(c) === 'for_in_clause' || this.typeOf(c) === 'if_clause'));
    if (!body) return unknownValue('a comprehension');
    const results: PyValue[] = [];
    const inner = new Scope(scope);
    const run = (index: number): boolean => {
      const clause = clauses[index];
      if (!clause) {
        results.push(this.eval(body, inner, frame));
        return true;
      }
      if (this.typeOf(clause) === 'if_clause') {
        const condition = this.kids(clause)[0];
        const t = condition ? truthy(this.eval(condition, inner, frame)) : undefined;
        if (t === undefined) return false;
        return t ? run(index + 1) : true;
      }
      const left = this.field(clause, 'left');
      const right = this.field(clause, 'right');
      const items = right ? this.iterate(this.eval(right, inner, frame)) : undefined;
      if (!left || !items || items === 'opaque') return false;
      for (const item of items) {
        this.assign(left, item, inner, frame);
        if (!run(index + 1)) return false;
      }
      return true;
    };
    return run(0) ? { kind: 'list', items: results, tuple: false } : unknownValue('a comprehension over an unknown value');
  }

  private subscript(object: PyValue, index: Node, scope: Scope, frame: Frame): PyValue {
    if (this.typeOf(index) === 'slice') {
      if (object.kind !== 'list') return unknownValue('a slice of an unknown value');
      const parts = this.kids(index).filter((c): c is Node => c !== null).map((c) => asNumber(this.eval(c, scope, frame)));
      const text = index.text;
      const [a, b] = text.split(':');
      const start = a?.trim() ? parts.shift() : undefined;
      const end = b?.trim() ? parts.shift() : undefined;
      return { kind: 'list', items: object.items.slice(start, end), tuple: object.tuple };
    }
    const key = this.eval(index, scope, frame);
    if (object.kind === 'list' && object.tainted) return unknownValue(object.tainted);
    if (object.kind === 'list' && key.kind === 'number') {
      const i = key.value < 0 ? object.items.length + key.value : key.value;
      return object.items[i] ?? unknownValue('an index out of range');
    }
    if (object.kind === 'dict' && keyText(key) !== undefined) return object.entries.get(keyText(key) as string) ?? unknownValue(object.tainted ?? 'a missing key');
    if (object.kind === 'module') {
      const children = [...object.module.children.values()];
      if (key.kind === 'number') {
        const child = children[key.value < 0 ? children.length + key.value : key.value];
        return child ? { kind: 'module', module: child } : unknownValue('a missing child module');
      }
      if (key.kind === 'string') {
        const child = object.module.children.get(key.value);
        return child ? { kind: 'module', module: child } : unknownValue('a missing child module');
      }
    }
    if (object.kind === 'tensor') return object;
    // typing's generics (Optional[int], Generic[T]) in annotations and bases.
    if (object.kind === 'namespace') return object;
    return unknownValue('a subscript of an unknown value');
  }

  private binary(node: Node, scope: Scope, frame: Frame): PyValue {
    const left = this.field(node, 'left');
    const right = this.field(node, 'right');
    const op = this.field(node, 'operator')?.text ?? '';
    if (!left || !right) return unknownValue('a binary operation');
    return this.arithmetic(op, this.eval(left, scope, frame), this.eval(right, scope, frame), node);
  }

  arithmetic(op: string, l: PyValue, r: PyValue, node: Node): PyValue {
    if (l.kind === 'tensor' || r.kind === 'tensor') {
      const branches = [l, r].filter((v): v is { kind: 'tensor'; ops: TensorOp[] } => v.kind === 'tensor').map((v) => v.ops);
      const source = this.map.range(node);
      if (op === '+') return { kind: 'tensor', ops: [{ kind: 'add', branches, source }] };
      if (op === '*') return { kind: 'tensor', ops: [{ kind: 'mul', branches, source }] };
      return l.kind === 'tensor' ? l : r;
    }
    if ((l.kind === 'number' || l.kind === 'bool') && (r.kind === 'number' || r.kind === 'bool')) {
      const a = asNumber(l) as number;
      const b = asNumber(r) as number;
      const ints = (l.kind === 'bool' || l.isInt) && (r.kind === 'bool' || r.isInt);
      switch (op) {
        case '+': return exactNumber(a + b, ints);
        case '-': return exactNumber(a - b, ints);
        case '*': return exactNumber(a * b, ints);
        case '/': return b === 0 ? unknownValue('a division by zero') : num(a / b, false);
        case '//': return b === 0 ? unknownValue('a division by zero') : exactNumber(Math.floor(a / b), ints);
        case '%': return b === 0 ? unknownValue('a division by zero') : exactNumber(((a % b) + b) % b, ints);
        case '**': return exactNumber(a ** b, ints && b >= 0);
        case '<<': return ints && b >= 0 ? exactNumber(a * 2 ** b, true) : unknownValue(`the operator ${op}`);
        case '>>': return ints && b >= 0 ? exactNumber(Math.floor(a / 2 ** b), true) : unknownValue(`the operator ${op}`);
        default: return unknownValue(`the operator ${op}`);
      }
    }
    if (op === '+' && l.kind === 'list' && r.kind === 'list' && l.tuple === r.tuple) {
      this.checkItems(l.items.length + r.items.length);
      return { kind: 'list', items: [...l.items, ...r.items], tuple: l.tuple };
    }
    const times = (v: PyValue): number | undefined => (v.kind === 'number' && v.isInt ? v.value : v.kind === 'bool' ? Number(v.value) : undefined);
    if (op === '*' && (l.kind === 'list' || r.kind === 'list')) {
      const list = l.kind === 'list' ? l : r;
      const count = times(l.kind === 'list' ? r : l);
      if (list.kind !== 'list' || count === undefined) return unknownValue('a list repeated an unknown number of times');
      const copies = Math.max(0, count);
      this.checkItems(list.items.length * copies);
      const items: PyValue[] = [];
      for (let i = 0; i < copies; i++) items.push(...list.items);
      return { kind: 'list', items, tuple: list.tuple };
    }
    if (op === '*' && (l.kind === 'string' || r.kind === 'string')) {
      const text = l.kind === 'string' ? l : r;
      const count = times(l.kind === 'string' ? r : l);
      if (text.kind !== 'string' || count === undefined) return unknownValue('a string repeated an unknown number of times');
      this.checkString(text.value.length * Math.max(0, count));
      return { kind: 'string', value: text.value.repeat(Math.max(0, count)) };
    }
    if (op === '+' && l.kind === 'string' && r.kind === 'string') {
      this.checkString(l.value.length + r.value.length);
      return { kind: 'string', value: l.value + r.value };
    }
    if (op === '%' && l.kind === 'string') {
      const formatted = percentFormat(l.value, r.kind === 'list' && r.tuple ? r.items : [r]);
      if (formatted.kind === 'string') this.checkString(formatted.value.length);
      return formatted;
    }
    return unknownValue(`${op} on ${l.kind === 'unknown' ? l.reason : l.kind} and ${r.kind === 'unknown' ? r.reason : r.kind}`);
  }

  private compare(node: Node, scope: Scope, frame: Frame): PyValue {
    const operands = this.kids(node).filter((c): c is Node => c !== null);
    const operators = this.fields(node, 'operators').map((o) => o?.text ?? '');
    let left = operands[0] ? this.eval(operands[0], scope, frame) : NONE;
    for (let i = 1; i < operands.length; i++) {
      const rightNode = operands[i];
      if (!rightNode) break;
      const right = this.eval(rightNode, scope, frame);
      const op = (operators[i - 1] ?? '').replace(/\s+/g, ' ');
      const result = compareValues(op, left, right);
      if (result === undefined) return unknownValue('a comparison of unknown values');
      if (!result) return { kind: 'bool', value: false };
      left = right;
    }
    return { kind: 'bool', value: true };
  }

  // ---------- attributes ----------

  attributeOf(object: PyValue, name: string): PyValue {
    switch (object.kind) {
      case 'namespace': {
        const path = `${object.path}.${name}`;
        if (/^torch\.nn(\.modules(\.[a-z_]+)?)?$/.test(object.path) || object.path === 'torchvision.ops' || object.path === 'torchvision.ops.misc') {
          if (isTorchLayerClass(name) || CONTAINERS.has(name) || name === 'SqueezeExcitation' || name === 'Conv2dNormActivation') {
            return { kind: 'torchClass', name, preset: new Map() };
          }
        }
        if (path === 'collections.OrderedDict' || path === 'functools.partial') return { kind: 'builtin', name: path.split('.')[1] ?? path };
        if (isKerasLayers(object.path) && name === 'Input') return { kind: 'builtin', name: 'keras.Input' };
        if (isKerasLayers(object.path) && /^[A-Z]/.test(name)) return { kind: 'kerasClass', name };
        if (isKeras(object.path) && ['Sequential', 'Model', 'Input'].includes(name)) return { kind: 'builtin', name: `keras.${name}` };
        return { kind: 'namespace', path };
      }
      case 'module': {
        const child = object.module.children.get(name);
        if (child) return { kind: 'module', module: child };
        const attr = object.module.attributes.get(name);
        if (attr) return attr;
        const method = object.module.userClass ? findMethod(object.module.userClass, name) : undefined;
        if (method) return { kind: 'bound', self: object.module, fn: method };
        const classAttr = object.module.userClass ? findClassAttribute(object.module.userClass, name) : undefined;
        if (classAttr) return classAttr;
        return { kind: 'builtin', name: `module.${name}`, self: object };
      }
      case 'userClass':
        return findClassAttribute(object.cls, name) ?? (findMethod(object.cls, name) ? { kind: 'function', fn: findMethod(object.cls, name) as UserFunction } : unknownValue(`${object.cls.name}.${name}`));
      case 'list':
      case 'dict':
      case 'tensor':
      case 'string':
      case 'kerasModel':
        return { kind: 'builtin', name: `${object.kind}.${name}`, self: object };
      case 'super':
        return { kind: 'builtin', name: `super.${name}`, self: object };
      default:
        return unknownValue(`the attribute ${name} of ${object.kind === 'unknown' ? object.reason : `a ${object.kind}`}`);
    }
  }

  // ---------- calls ----------

  private evalCall(node: Node, scope: Scope, frame: Frame): PyValue {
    const fnNode = this.field(node, 'function');
    const argsNode = this.field(node, 'arguments');
    if (!fnNode) return unknownValue('a call');
    const callee = this.eval(fnNode, scope, frame);
    const positional: PyValue[] = [];
    const keywords = new Map<string, PyValue>();
    // f(x for x in y): the call's only argument is the generator itself.
    if (argsNode && this.typeOf(argsNode) === 'generator_expression') {
      return this.call(callee, [this.comprehension(argsNode, scope, frame)], keywords, node, scope, frame);
    }
    for (const arg of argsNode ? this.kids(argsNode) : []) {
      if (!arg || this.typeOf(arg) === 'comment') continue;
      if (this.typeOf(arg) === 'keyword_argument') {
        const name = this.field(arg, 'name')?.text;
        const value = this.field(arg, 'value');
        if (name && value) keywords.set(name, this.eval(value, scope, frame));
      } else if (this.typeOf(arg) === 'list_splat') {
        const inner = this.kids(arg)[0];
        const value = inner ? this.eval(inner, scope, frame) : NONE;
        if (value.kind === 'list' && !value.tainted) positional.push(...value.items);
        else return this.unknownCall(`the arguments *${inner?.text ?? ''} are not statically known${value.kind === 'list' ? ` (${value.tainted ?? ''})` : ''}`, frame);
      } else if (this.typeOf(arg) === 'dictionary_splat') {
        const inner = this.kids(arg)[0];
        const value = inner ? this.eval(inner, scope, frame) : NONE;
        if (value.kind === 'dict' && !value.tainted) for (const [k, v] of value.entries) keywords.set(k, v);
        else return this.unknownCall(`the arguments **${inner?.text ?? ''} are not statically known${value.kind === 'dict' ? ` (${value.tainted ?? ''})` : ''}`, frame);
      } else if (this.typeOf(arg) === 'generator_expression') {
        positional.push(this.comprehension(arg, scope, frame));
      } else {
        positional.push(this.eval(arg, scope, frame));
      }
    }
    return this.call(callee, positional, keywords, node, scope, frame);
  }

  call(callee: PyValue, positional: PyValue[], keywords: Map<string, PyValue>, node: Node, scope: Scope, frame: Frame): PyValue {
    switch (callee.kind) {
      case 'torchClass':
        return this.construct(callee.name, positional, new Map([...callee.preset, ...keywords]), node, frame);
      case 'userClass':
        return this.instantiate(callee.cls, positional, keywords, node);
      case 'function':
        return this.invoke(callee.fn, undefined, positional, keywords, frame);
      case 'bound':
        return this.invoke(callee.fn, callee.self, positional, keywords, frame);
      case 'module':
        return this.callModule(callee.module, positional, node);
      case 'builtin':
        return this.builtin(callee, positional, keywords, node, scope, frame);
      case 'namespace':
        return this.namespaceCall(callee.path, positional, keywords, node);
      case 'kerasClass':
        return { kind: 'kerasLayer', layer: this.keras.createLayer(callee.name, positional, keywords, this.map.range(node)) };
      case 'kerasLayer':
        return this.keras.call(callee.layer, positional);
      default:
        return this.opaqueCall(`a call to ${callee.kind === 'unknown' ? callee.reason : `a ${callee.kind}`}`, positional, keywords);
    }
  }

  private namespaceCall(path: string, positional: PyValue[], _keywords: Map<string, PyValue>, node: Node): PyValue {
    const name = path.split('.').pop() ?? '';
    const first = positional[0];
    const source = this.map.range(node);
    if (/^torch(\.nn\.functional)?$/.test(path.slice(0, path.lastIndexOf('.'))) || path.startsWith('torch.')) {
      if (FUNCTIONAL_ACTIVATIONS[name] && first?.kind === 'tensor') {
        const fn = torchActivation(FUNCTIONAL_ACTIVATIONS[name] ?? '');
        if (fn && fn !== 'identity') return { kind: 'tensor', ops: [...first.ops, { kind: 'activation', fn, source }] };
      }
      if (name === 'cat' || name === 'stack') return { kind: 'tensor', ops: [{ kind: 'cat', source }] };
      if ((name === 'flatten' || name === 'reshape') && first?.kind === 'tensor') return { kind: 'tensor', ops: [...first.ops, { kind: 'flatten', source }] };
      if (/pool/.test(name) && first?.kind === 'tensor') return { kind: 'tensor', ops: [...first.ops, { kind: 'pool', source }] };
      if (first?.kind === 'tensor') return first;
      if (path.startsWith('torch.nn.init')) return NONE;
    }
    if (path === 'typing.cast') return positional[1] ?? unknownValue('typing.cast');
    if (path.startsWith('torch.nn.init')) return NONE;
    if (path.startsWith('math.')) {
      const x = asNumber(first);
      if (x === undefined) return unknownValue(`math.${name} of an unknown value`);
      const f: Record<string, (v: number) => number> = { sqrt: Math.sqrt, ceil: Math.ceil, floor: Math.floor, log: Math.log, log2: Math.log2, exp: Math.exp };
      const fn = f[name];
      if (fn) return num(fn(x), name === 'ceil' || name === 'floor');
    }
    const result = this.opaqueCall(`${path}(...)`, positional, _keywords);
    // Anything from a module other than these may build a layer we cannot see into (a class, a
    // factory): where it lands in a model, the model's count is unknown, never short. torch's own
    // functions (torch.zeros...) make tensors, which are buffers, not parameters.
    const parts = path.split('.');
    const plain = NON_MODULE_ROOTS.has(parts[0] ?? '') || (parts.length === 2 && parts[0] === 'torch' && /^[a-z_]/.test(name));
    return plain ? unknownValue(`${path}(...)`) : result;
  }

  /** Calling a module: in a traced forward, records the operation on the tensor. */
  private callModule(module: ModuleNode, positional: PyValue[], node: Node): PyValue {
    const input = positional[0];
    if (input?.kind !== 'tensor') return unknownValue('a module called outside a traced forward');
    return { kind: 'tensor', ops: [...input.ops, { kind: 'module', module, source: this.map.range(node) }] };
  }

  private construct(name: string, positional: PyValue[], keywords: Map<string, PyValue>, node: Node, frame: Frame): PyValue {
    const source = this.map.range(node);
    const container = (className: string, children: [string, PyValue][]): PyValue => {
      const module: ModuleNode = { className, children: new Map(), attributes: new Map(), source };
      for (const [key, value] of children) {
        if (value.kind === 'module') module.children.set(key, value.module);
        else if (value.kind !== 'none') module.incomplete ??= `an element of ${className} is not a module statically known (${value.kind === 'unknown' ? value.reason : value.kind})`;
      }
      return { kind: 'module', module };
    };
    switch (name) {
      case 'Sequential': {
        const only = positional[0];
        if (positional.length === 1 && only?.kind === 'dict') {
          return only.tainted ? unknownModule(`a Sequential of modules not statically known (${only.tainted})`) : container(name, [...only.entries]);
        }
        return container(name, positional.map((v, i) => [String(i), v]));
      }
      case 'ModuleList': {
        const list = positional[0] ?? keywords.get('modules');
        if (!list || list.kind === 'none') return container(name, []);
        const items = this.iterate(list);
        if (!Array.isArray(items)) return unknownModule(`a ModuleList of modules not statically known (${list.kind === 'unknown' ? list.reason : list.kind})`);
        return container(name, items.map((v, i) => [String(i), v]));
      }
      case 'ModuleDict': {
        const dict = positional[0] ?? keywords.get('modules');
        if (!dict || dict.kind === 'none') return container(name, []);
        if (dict.kind === 'dict' && !dict.tainted) return container(name, [...dict.entries]);
        const pairs = this.iterate(dict);
        const entries = Array.isArray(pairs) && dict.kind === 'list' ? pairs.map((p) => (p.kind === 'list' && p.items.length === 2 ? [keyText(p.items[0] ?? NONE), p.items[1]] : [undefined, undefined])) : undefined;
        if (!entries || entries.some(([k, v]) => k === undefined || v === undefined)) {
          return unknownModule(`a ModuleDict of modules not statically known (${dict.kind === 'unknown' ? dict.reason : dict.kind})`);
        }
        return container(name, entries as [string, PyValue][]);
      }
      case 'Module':
        return container(name, []);
      case 'SqueezeExcitation':
        return this.squeezeExcitation(bindArguments(name, positional, keywords), node, frame);
      case 'Conv2dNormActivation':
        return this.convNormActivation(bindArguments(name, positional, keywords), node, frame);
      default: {
        if (++this.layersBuilt > MAX_LAYERS) this.abort(`the model has more than ${MAX_LAYERS.toLocaleString('en-US')} layers, too many to evaluate statically`, node);
        const built = buildTorchLayer(name, bindArguments(name, positional, keywords), source);
        return built ? { kind: 'module', module: built } : unknownValue(`torch.nn.${name} is not supported`);
      }
    }
  }

  /** torchvision.ops.SqueezeExcitation: avgpool, fc1 and fc2 (biased 1x1 convs), activation, scale_activation. */
  private squeezeExcitation(args: Map<string, PyValue>, node: Node, frame: Frame): PyValue {
    const source = this.map.range(node);
    const channels = intFact(args.get('input_channels'), 'input_channels');
    const squeeze = intFact(args.get('squeeze_channels'), 'squeeze_channels');
    const module: ModuleNode = { className: 'SqueezeExcitation', children: new Map(), attributes: new Map(), source };
    const leafNode = (className: string, layer: ModuleNode['layer']): ModuleNode => ({ className, layer, children: new Map(), attributes: new Map(), source });
    module.children.set('avgpool', leafNode('AdaptiveAvgPool2d', pool({ name: '', pool: 'avg', outputSize: [1, 1], source })));
    module.children.set('fc1', leafNode('Conv2d', conv({ name: '', inChannels: channels, outChannels: squeeze, kernel: 1, bias: true, source })));
    module.children.set('fc2', leafNode('Conv2d', conv({ name: '', inChannels: squeeze, outChannels: channels, kernel: 1, bias: true, source })));
    const activationClass = args.get('activation') ?? { kind: 'torchClass', name: 'ReLU', preset: new Map() };
    const made = activationClass.kind === 'torchClass' ? this.construct(activationClass.name, [], activationClass.preset, node, frame) : unknownValue('an SE activation');
    let fn: ActivationFunction | null = null;
    if (made.kind === 'module') {
      module.children.set('activation', made.module);
      fn = made.module.layer?.kind === 'activation' ? made.module.layer.fn : null;
    } else module.incomplete = 'the SE activation is not statically known';
    module.children.set('scale_activation', leafNode('Sigmoid', activationLayer({ name: '', fn: 'sigmoid', source })));
    if (channels.known && squeeze.known) module.squeezeExcitation = { channels: channels.value, squeeze: squeeze.value, activation: fn };
    return { kind: 'module', module };
  }

  /** torchvision.ops.misc.Conv2dNormActivation: a Sequential of conv, norm (if any), activation (if any). */
  private convNormActivation(args: Map<string, PyValue>, node: Node, frame: Frame): PyValue {
    const source = this.map.range(node);
    const kernel = asNumber(args.get('kernel_size'));
    const dilation = asNumber(args.get('dilation')) ?? 1;
    const normClass = args.get('norm_layer') ?? { kind: 'torchClass', name: 'BatchNorm2d', preset: new Map() };
    const actClass = args.get('activation_layer') ?? { kind: 'torchClass', name: 'ReLU', preset: new Map() };
    const padding = args.get('padding')?.kind === 'none' && kernel !== undefined ? num(Math.floor((kernel - 1) / 2) * dilation) : args.get('padding');
    const bias = args.get('bias')?.kind === 'none' ? { kind: 'bool' as const, value: normClass.kind === 'none' } : args.get('bias');
    const module: ModuleNode = { className: 'Conv2dNormActivation', children: new Map(), attributes: new Map(), source };
    const convModule = buildTorchLayer('Conv2d', bindArguments('Conv2d', [], new Map<string, PyValue>([
      ['in_channels', args.get('in_channels') ?? NONE], ['out_channels', args.get('out_channels') ?? NONE], ['kernel_size', args.get('kernel_size') ?? NONE],
      ['stride', args.get('stride') ?? num(1)], ['padding', padding ?? num(0)], ['dilation', num(dilation)], ['groups', args.get('groups') ?? num(1)], ['bias', bias ?? NONE],
    ])), source);
    if (convModule) module.children.set('0', convModule);
    let index = 1;
    for (const [cls, argsFor] of [[normClass, [args.get('out_channels') ?? NONE]], [actClass, []]] as [PyValue, PyValue[]][]) {
      if (cls.kind === 'none') continue;
      const made = this.call(cls, argsFor, new Map(), node, new Scope(), frame);
      if (made.kind === 'module') module.children.set(String(index++), made.module);
      else module.incomplete = 'a norm or activation of Conv2dNormActivation is not statically known';
    }
    return { kind: 'module', module };
  }

  /**
   * Module classes built again with the same plain arguments at the same call site (a block in
   * a `for` loop) give the same subtree: it is cloned instead of evaluated again. Arguments that
   * could be shared or mutated (lists of modules, dicts) are never cached, nor are incomplete results.
   */
  private readonly instances = new Map<string, { readonly module: ModuleNode; readonly dependencies: Dependencies | undefined }>();
  /** Bumped by any assignment to a module-level name, which could change what __init__ reads. */
  private globalsEpoch = 0;

  instantiate(cls: UserClass, positional: PyValue[], keywords: Map<string, PyValue>, node: Node): PyValue {
    this.globals.recording?.executed.add(cls.node);
    const key = instanceKey(cls, positional, keywords, node.id, this.globalsEpoch);
    const cached = key ? this.instances.get(key) : undefined;
    if (cached) {
      this.layersBuilt += countLeaves(cached.module);
      if (this.layersBuilt > MAX_LAYERS) this.abort(`the model has more than ${MAX_LAYERS.toLocaleString('en-US')} layers, too many to evaluate statically`, node);
      // A clone depends on everything the original's construction read.
      if (this.globals.recording && cached.dependencies) mergeDependencies(this.globals.recording, cached.dependencies);
      return { kind: 'module', module: cloneModule(cached.module, true) };
    }
    const { value: built, dependencies } = this.trackDependencies
      ? this.recordDependencies(() => this.instantiateFresh(cls, positional, keywords, node))
      : { value: this.instantiateFresh(cls, positional, keywords, node), dependencies: undefined };
    // The cache keeps a pristine copy: the caller may still change the instance it got.
    if (key && built.kind === 'module' && !hasIncomplete(built.module)) this.instances.set(key, { module: cloneModule(built.module, false), dependencies });
    return built;
  }

  private instantiateFresh(cls: UserClass, positional: PyValue[], keywords: Map<string, PyValue>, node: Node): PyValue {
    const module: ModuleNode = { className: cls.name, userClass: cls, children: new Map(), attributes: new Map(), source: this.map.range(node) };
    const unresolved = unresolvedBaseOf(cls);
    if (unresolved) module.incomplete = unresolved;
    const init = findMethod(cls, '__init__');
    if (init) {
      this.invoke(init, module, positional, keywords, { self: module, tracing: false });
    } else {
      const torchBase = torchBaseOf(cls);
      if (torchBase) {
        const made = this.construct(torchBase, positional, keywords, node, { tracing: false });
        if (made.kind === 'module') for (const [k, v] of made.module.children) module.children.set(k, v);
      }
    }
    return { kind: 'module', module };
  }

  invoke(fn: UserFunction, self: ModuleNode | undefined, positional: PyValue[], keywords: Map<string, PyValue>, outer: Frame): PyValue {
    if (++this.depth > MAX_DEPTH) {
      this.depth--;
      this.abort('calls nest too deeply to evaluate statically');
    }
    this.globals.recording?.executed.add(fn.node);
    try {
      const scope = new Scope(fn.scope);
      const frame: Frame = { self: self ?? outer.self, tracing: outer.tracing };
      const args = self ? [{ kind: 'module', module: self } as PyValue, ...positional] : positional;
      this.bindParameters(fn, args, keywords, scope, frame);
      const signal = this.execBlock(this.body(this.field(fn.node, 'body')), scope, frame);
      return signal?.kind === 'return' ? signal.value : NONE;
    } finally {
      this.depth--;
    }
  }

  private bindParameters(fn: UserFunction, positional: PyValue[], keywords: Map<string, PyValue>, scope: Scope, frame: Frame): void {
    const parameterList = this.field(fn.node, 'parameters');
    const params = parameterList ? this.kids(parameterList) : [];
    let index = 0;
    const rest = new Map(keywords);
    for (const param of params) {
      if (!param) continue;
      switch (this.typeOf(param)) {
        case 'identifier':
        case 'typed_parameter': {
          const name = this.typeOf(param) === 'identifier' ? param.text : this.kids(param)[0]?.text ?? '';
          if (this.typeOf(param) === 'typed_parameter' && this.kids(param)[0]?.type === 'list_splat_pattern') {
            scope.set(this.kids(this.kids(param)[0] as Node)[0]?.text ?? '', { kind: 'list', items: positional.slice(index), tuple: true });
            index = positional.length;
            break;
          }
          if (this.typeOf(param) === 'typed_parameter' && this.kids(param)[0]?.type === 'dictionary_splat_pattern') {
            scope.set(this.kids(this.kids(param)[0] as Node)[0]?.text ?? '', { kind: 'dict', entries: rest });
            break;
          }
          const value = index < positional.length ? positional[index++] : rest.get(name);
          rest.delete(name);
          scope.set(name, value ?? unknownValue(`the argument "${name}" is not given`));
          break;
        }
        case 'default_parameter':
        case 'typed_default_parameter': {
          const name = this.field(param, 'name')?.text ?? '';
          const defaultNode = this.field(param, 'value');
          let value = index < positional.length ? positional[index++] : rest.get(name);
          rest.delete(name);
          if (value === undefined) value = defaultNode ? this.eval(defaultNode, fn.scope, frame) : NONE;
          scope.set(name, value);
          break;
        }
        case 'list_splat_pattern':
          scope.set(this.kids(param)[0]?.text ?? '', { kind: 'list', items: positional.slice(index), tuple: true });
          index = positional.length;
          break;
        case 'dictionary_splat_pattern':
          scope.set(this.kids(param)[0]?.text ?? '', { kind: 'dict', entries: rest });
          break;
        default:
          break;
      }
    }
  }

  private builtin(callee: { kind: 'builtin'; name: string; self?: PyValue }, args: PyValue[], keywords: Map<string, PyValue>, node: Node, scope: Scope, frame: Frame): PyValue {
    const [a, b] = args;
    const numbers = args.map(asNumber);
    switch (callee.name) {
      case 'range': {
        const [x, y, z] = numbers;
        if (numbers.some((v) => v === undefined) || args.length === 0) return unknownValue('a range of unknown length');
        const [start, stop, stepBy] = args.length === 1 ? [0, x ?? 0, 1] : [x ?? 0, y ?? 0, z ?? 1];
        if (stepBy === 0) return unknownValue('a range with step 0');
        const items: PyValue[] = [];
        for (let i = start; stepBy > 0 ? i < stop : i > stop; i += stepBy) {
          if (items.length > MAX_LOOP) this.abort('a range too long to evaluate statically', node);
          items.push(num(i, true));
        }
        return { kind: 'list', items, tuple: false };
      }
      case 'len':
        if ((a?.kind === 'list' || a?.kind === 'dict') && a.tainted) return unknownValue(`len of a value not statically known (${a.tainted})`);
        if (a?.kind === 'list') return num(a.items.length, true);
        if (a?.kind === 'module') return num(a.module.children.size, true);
        if (a?.kind === 'dict') return num(a.entries.size, true);
        if (a?.kind === 'string') return num(a.value.length, true);
        return unknownValue('len of an unknown value');
      case 'int': return numbers[0] === undefined ? unknownValue('int of an unknown value') : num(Math.trunc(numbers[0]), true);
      case 'float': return numbers[0] === undefined ? unknownValue('float of an unknown value') : num(numbers[0], false);
      case 'bool': return a ? (truthy(a) === undefined ? unknownValue('bool of an unknown value') : { kind: 'bool', value: truthy(a) as boolean }) : { kind: 'bool', value: false };
      case 'round': {
        if (numbers[0] === undefined) return unknownValue('round of an unknown value');
        if (args.length > 1 && numbers[1] !== undefined) {
          const scale = 10 ** numbers[1];
          return num(pythonRound(numbers[0] * scale) / scale, false);
        }
        return num(pythonRound(numbers[0]), true);
      }
      case 'abs': return numbers[0] === undefined ? unknownValue('abs of an unknown value') : num(Math.abs(numbers[0]), a?.kind === 'number' && a.isInt);
      case 'min':
      case 'max': {
        const values = args.length === 1 && a?.kind === 'list' ? a.items.map(asNumber) : numbers;
        if (values.length === 0 || values.some((v) => v === undefined)) return unknownValue(`${callee.name} of unknown values`);
        const result = callee.name === 'min' ? Math.min(...(values as number[])) : Math.max(...(values as number[]));
        return num(result);
      }
      case 'sum': {
        if (a?.kind !== 'list') return unknownValue('sum of an unknown value');
        const values = a.items.map(asNumber);
        if (values.some((v) => v === undefined)) return unknownValue('sum of unknown values');
        return num((values as number[]).reduce((s, v) => s + v, 0));
      }
      case 'list':
      case 'tuple':
      case 'sorted':
      case 'reversed': {
        if (!a) return { kind: 'list', items: [], tuple: callee.name === 'tuple' };
        const items = this.iterate(a);
        if (!Array.isArray(items)) return unknownValue(`${callee.name} of an unknown value`);
        const copy = [...items];
        if (callee.name === 'reversed') copy.reverse();
        return { kind: 'list', items: copy, tuple: callee.name === 'tuple' };
      }
      case 'enumerate': {
        const items = a ? this.iterate(a) : undefined;
        const start = asNumber(b ?? keywords.get('start')) ?? 0;
        if (!Array.isArray(items)) return unknownValue('enumerate of an unknown value');
        return { kind: 'list', items: items.map((v, i) => ({ kind: 'list', items: [num(i + start, true), v], tuple: true })), tuple: false };
      }
      case 'zip': {
        const lists = args.map((v) => this.iterate(v));
        if (lists.some((l) => !Array.isArray(l))) return unknownValue('zip of unknown values');
        const arrays = lists as PyValue[][];
        const length = Math.min(...arrays.map((l) => l.length));
        return { kind: 'list', items: Array.from({ length }, (_, i) => ({ kind: 'list', items: arrays.map((l) => l[i] ?? NONE), tuple: true })), tuple: false };
      }
      case 'any':
      case 'all': {
        const items = a ? this.iterate(a) : undefined;
        if (!Array.isArray(items)) return unknownValue(`${callee.name} of an unknown value`);
        const values = items.map(truthy);
        if (values.some((v) => v === undefined)) return unknownValue(`${callee.name} of unknown values`);
        return { kind: 'bool', value: callee.name === 'any' ? values.some(Boolean) : values.every(Boolean) };
      }
      case 'isinstance':
        return isInstance(a, b);
      case 'print':
        return NONE;
      case 'str':
        return a?.kind === 'number' || a?.kind === 'string' ? { kind: 'string', value: String(a.kind === 'number' ? a.value : a.value) } : unknownValue('str of an unknown value');
      case 'dict':
      case 'OrderedDict': {
        const entries = new Map<string, PyValue>();
        if (a && (a.kind === 'list' || a.kind === 'dict') && a.tainted) return unknownValue(`${callee.name} of a value not statically known (${a.tainted})`);
        if (a?.kind === 'list') {
          for (const pair of a.items) {
            const text = pair.kind === 'list' && pair.items.length === 2 ? keyText(pair.items[0] ?? NONE) : undefined;
            if (pair.kind !== 'list' || text === undefined) return unknownValue(`${callee.name} with an entry not statically known`);
            entries.set(text, pair.items[1] ?? NONE);
          }
        } else if (a?.kind === 'dict') {
          for (const [k, v] of a.entries) entries.set(k, v);
        } else if (a && a.kind !== 'none') {
          return unknownValue(`${callee.name} of a value not statically known${a.kind === 'unknown' ? ` (${a.reason})` : ''}`);
        }
        for (const [k, v] of keywords) entries.set(k, v);
        return { kind: 'dict', entries };
      }
      case 'keras.Input': {
        const name = keywords.get('name');
        return this.keras.input(keywords.get('shape') ?? a, name?.kind === 'string' ? name.value : undefined, this.map.range(node));
      }
      case 'keras.Sequential': {
        const list = a ?? keywords.get('layers');
        const name = keywords.get('name');
        return { kind: 'kerasModel', graph: this.keras.sequential(list?.kind === 'list' ? list.items : [], name?.kind === 'string' ? name.value : 'sequential', this.map.range(node)) };
      }
      case 'keras.Model': {
        const outputs = keywords.get('outputs') ?? b;
        const name = keywords.get('name');
        const graph = this.keras.functional(outputs, name?.kind === 'string' ? name.value : 'model', this.map.range(node));
        return graph ? { kind: 'kerasModel', graph } : unknownValue('a Keras model whose outputs are not statically known');
      }
      case 'partial':
        if (a?.kind === 'torchClass') return { kind: 'torchClass', name: a.name, preset: new Map([...a.preset, ...keywords]) };
        return unknownValue('functools.partial of a non-layer');
      case 'getattr':
        if (a && b?.kind === 'string') {
          const value = this.attributeOf(a, b.value);
          return value.kind === 'builtin' && value.name.startsWith('module.') ? (args[2] ?? unknownValue('a missing attribute')) : value;
        }
        return unknownValue('getattr with an unknown name');
      case 'setattr':
        if (a?.kind === 'module' && b?.kind === 'string' && args[2]) this.setModuleAttribute(a.module, b.value, args[2]);
        else if (a?.kind === 'module' && !a.module.incomplete) a.module.incomplete = 'setattr with a name not statically known';
        return NONE;
      case 'hasattr':
        if (a?.kind === 'module' && b?.kind === 'string') {
          const value = this.attributeOf(a, b.value);
          return { kind: 'bool', value: !(value.kind === 'builtin' && value.name.startsWith('module.')) };
        }
        return unknownValue('hasattr of an unknown value');
      case 'super': {
        const self = frame.self;
        if (!self) return unknownValue('super() outside a module');
        const owner = enclosingClass(node, self.userClass);
        return { kind: 'super', self, after: owner };
      }
      default:
        return this.method(callee, args, keywords, node, scope, frame);
    }
  }

  private method(callee: { kind: 'builtin'; name: string; self?: PyValue }, args: PyValue[], keywords: Map<string, PyValue>, node: Node, scope: Scope, frame: Frame): PyValue {
    const [owner, name] = callee.name.split('.') as [string, string];
    const self = callee.self;
    const [a, b] = args;
    if ((owner === 'list' || owner === 'dict') && (self?.kind === 'list' || self?.kind === 'dict') && self.tainted
      && !['append', 'extend', 'insert', 'update'].includes(name)) {
      return unknownValue(self.tainted);
    }
    if (owner === 'list' && self?.kind === 'list') {
      switch (name) {
        case 'append': self.items.push(a ?? NONE); return NONE;
        case 'extend': {
          const items = a ? this.iterate(a) : [];
          if (Array.isArray(items)) {
            this.checkItems(self.items.length + items.length);
            self.items.push(...items);
          } else self.items.push(unknownValue('extended with unknown items'));
          return NONE;
        }
        case 'insert': {
          const at = asNumber(a);
          if (at !== undefined && b) self.items.splice(at, 0, b);
          else self.tainted ??= 'an item inserted at a position not statically known';
          return NONE;
        }
        case 'pop': return self.items.pop() ?? NONE;
        case 'index': return unknownValue('list.index');
        default: return unknownValue(`list.${name}`);
      }
    }
    if (owner === 'dict' && self?.kind === 'dict') {
      switch (name) {
        case 'items': return { kind: 'list', items: [...self.entries].map(([k, v]) => ({ kind: 'list', items: [{ kind: 'string', value: k }, v], tuple: true })), tuple: false };
        case 'keys': return { kind: 'list', items: [...self.entries.keys()].map((k) => ({ kind: 'string', value: k })), tuple: false };
        case 'values': return { kind: 'list', items: [...self.entries.values()], tuple: false };
        case 'get': return (a?.kind === 'string' ? self.entries.get(a.value) : undefined) ?? b ?? NONE;
        case 'pop': {
          const value = a?.kind === 'string' ? self.entries.get(a.value) : undefined;
          if (a?.kind === 'string') self.entries.delete(a.value);
          return value ?? b ?? NONE;
        }
        case 'update':
          if (a?.kind === 'dict' && !a.tainted) for (const [k, v] of a.entries) self.entries.set(k, v);
          else self.tainted ??= 'updated with entries not statically known';
          for (const [k, v] of keywords) self.entries.set(k, v);
          return NONE;
        default: return unknownValue(`dict.${name}`);
      }
    }
    if (owner === 'kerasModel' && self?.kind === 'kerasModel' && name === 'add' && a?.kind === 'kerasLayer') {
      const layers = self.graph.layers as import('../keras/keras-graph').KerasLayerNode[];
      const previous = layers[layers.length - 1];
      const shape = a.layer.config.input_shape;
      if (!self.graph.inputShape && Array.isArray(shape)) (self.graph as { inputShape?: (number | null)[] }).inputShape = shape.map((d) => (typeof d === 'number' ? d : null));
      layers.push({ name: a.layer.name, className: a.layer.className, config: a.layer.config, inbound: previous ? [previous.name] : [], source: a.layer.source });
      return NONE;
    }
    if (owner === 'string' && self?.kind === 'string') {
      if (name === 'format') return unknownValue('string formatting');
      if (name === 'lower' || name === 'upper') return { kind: 'string', value: name === 'lower' ? self.value.toLowerCase() : self.value.toUpperCase() };
      return unknownValue(`str.${name}`);
    }
    if (owner === 'tensor' && self?.kind === 'tensor') {
      const source = this.map.range(node);
      const activationName = FUNCTIONAL_ACTIVATIONS[name];
      if (activationName) {
        const fn = torchActivation(activationName);
        if (fn && fn !== 'identity') return { kind: 'tensor', ops: [...self.ops, { kind: 'activation', fn, source }] };
      }
      if (name === 'flatten' || name === 'view' || name === 'reshape') return { kind: 'tensor', ops: [...self.ops, { kind: 'flatten', source }] };
      if (name === 'mean') return { kind: 'tensor', ops: [...self.ops, { kind: 'pool', source }] };
      return self;
    }
    if (owner === 'module' && self?.kind === 'module') {
      const module = self.module;
      switch (name) {
        case 'add_module':
        case 'register_module':
          if (a?.kind === 'string' && b) this.setModuleAttribute(module, a.value, b);
          else if (!module.incomplete) module.incomplete = `${module.className}.${name} with a name or module not statically known`;
          return NONE;
        case 'append':
        case 'insert':
        case 'extend': {
          const items = name === 'extend' ? (a ? this.iterate(a) : []) : [name === 'insert' ? b : a];
          if (!Array.isArray(items)) {
            module.incomplete ??= `${module.className}.${name} of modules not statically known`;
            return self;
          }
          for (const item of items) {
            if (item?.kind === 'module') this.addIndexed(module, item.module, name === 'insert' ? asNumber(a) : undefined);
            else module.incomplete ??= `${module.className}.${name} of something not a module statically known (${item?.kind === 'unknown' ? item.reason : item?.kind ?? 'nothing'})`;
          }
          return self;
        }
        case 'update': {
          if (a?.kind === 'dict' && !a.tainted) for (const [k, v] of a.entries) this.setModuleAttribute(module, k, v);
          else module.incomplete ??= `${module.className}.update with modules not statically known`;
          return NONE;
        }
        case '__init__':
          return NONE;
        default:
          if (OPAQUE_ITERATORS.has(name)) return unknownValue('opaque');
          // Calling a child module by attribute name inside a traced forward is handled by `call`.
          return unknownModule(`${module.className}.${name}()`);
      }
    }
    if (owner === 'super' && self?.kind === 'super') {
      if (name !== '__init__') return unknownValue(`super().${name}`);
      const bases = self.after?.bases ?? [];
      const base = bases[0];
      if (base?.kind === 'userClass') {
        const init = findMethod(base.cls, '__init__');
        if (init) this.invoke(init, self.self, args, keywords, { self: self.self, tracing: false });
        return NONE;
      }
      if (base?.kind === 'torchClass' && base.name !== 'Module') {
        const made = this.construct(base.name, args, keywords, node, frame);
        if (made.kind === 'module') for (const [k, v] of made.module.children) self.self.children.set(k, v);
      }
      return NONE;
    }
    void scope;
    return unknownValue(`${callee.name}()`);
  }
}

/** A number from arithmetic: an integer past 2^53 is no longer exact in a double, so it is unknown. */
function exactNumber(value: number, isInt: boolean): PyValue {
  if (isInt && !Number.isSafeInteger(value)) return unknownValue('an integer past 2^53, which is not computed exactly here');
  if (!Number.isFinite(value)) return unknownValue('a number too large to compute');
  return num(value, isInt);
}

/** A dict key as the evaluator stores it, or undefined when it cannot tell which key it is. */
function keyText(key: PyValue): string | undefined {
  if (key.kind === 'string') return key.value;
  if (key.kind === 'number' && Number.isInteger(key.value)) return String(key.value);
  return undefined;
}

function displayString(value: PyValue): string | undefined {
  if (value.kind === 'string') return value.value;
  if (value.kind === 'number') return value.isInt ? String(value.value) : String(value.value);
  if (value.kind === 'bool') return value.value ? 'True' : 'False';
  return undefined;
}

/** "denseblock%d" % (i + 1): %d, %i, %s and %% only. */
function percentFormat(template: string, args: PyValue[]): PyValue {
  let index = 0;
  let failed = false;
  const out = template.replace(/%([dis%])/g, (_, spec: string) => {
    if (spec === '%') return '%';
    const value = args[index++];
    const text = value ? displayString(value) : undefined;
    if (text === undefined) failed = true;
    return spec === 's' ? text ?? '' : String(Math.trunc(Number(text)));
  });
  return failed || index !== args.length ? unknownValue('string formatting') : { kind: 'string', value: out };
}

/** A cache key for arguments made only of values that cannot be shared or mutated; undefined otherwise. */
function instanceKey(cls: UserClass, positional: readonly PyValue[], keywords: ReadonlyMap<string, PyValue>, site: number, epoch: number): string | undefined {
  const plain = (v: PyValue): string | undefined => {
    switch (v.kind) {
      case 'number': return `${v.isInt ? 'i' : 'f'}${v.value}`;
      case 'string': return JSON.stringify(v.value);
      case 'bool': return v.value ? 'T' : 'F';
      case 'none': return 'N';
      case 'torchClass': return v.preset.size === 0 ? `C${v.name}` : undefined;
      case 'list': {
        if (!v.tuple || v.tainted) return undefined;
        const items = v.items.map(plain);
        return items.every((i) => i !== undefined) ? `(${items.join(',')})` : undefined;
      }
      default: return undefined;
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

function hasIncomplete(module: ModuleNode, seen = new Set<ModuleNode>()): boolean {
  if (seen.has(module)) return false;
  seen.add(module);
  if (module.incomplete) return true;
  for (const child of module.children.values()) if (hasIncomplete(child, seen)) return true;
  return false;
}

function countLeaves(module: ModuleNode): number {
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

function stringValue(text: string): string {
  const match = /^[rbuRBU]*("""|'''|"|')([\s\S]*)\1$/.exec(text);
  return match?.[2] ?? text;
}

function compareValues(op: string, l: PyValue, r: PyValue): boolean | undefined {
  if (op === 'is' || op === 'is not' || op === '==' || op === '!=') {
    const same = sameValue(l, r);
    if (same === undefined) return undefined;
    return op === 'is' || op === '==' ? same : !same;
  }
  if (op === 'in' || op === 'not in') {
    if (r.kind !== 'list' && r.kind !== 'dict' && r.kind !== 'string') return undefined;
    const found = r.kind === 'dict'
      ? r.entries.has(l.kind === 'string' ? l.value : String(asNumber(l)))
      : r.kind === 'string' ? (l.kind === 'string' ? r.value.includes(l.value) : undefined)
        : inList(r.items, l);
    if (found === undefined) return undefined;
    return op === 'in' ? found : !found;
  }
  const a = asNumber(l);
  const b = asNumber(r);
  if (a === undefined || b === undefined) return undefined;
  switch (op) {
    case '<': return a < b;
    case '>': return a > b;
    case '<=': return a <= b;
    case '>=': return a >= b;
    default: return undefined;
  }
}

/** Whether a list holds a value: undefined when an item it cannot compare might be it. */
function inList(items: readonly PyValue[], value: PyValue): boolean | undefined {
  let unsure = false;
  for (const item of items) {
    const same = sameValue(item, value);
    if (same === true) return true;
    if (same === undefined) unsure = true;
  }
  return unsure ? undefined : false;
}

function sameValue(l: PyValue, r: PyValue): boolean | undefined {
  if (l.kind === 'unknown' || r.kind === 'unknown' || l.kind === 'tensor' || r.kind === 'tensor') return undefined;
  // A name imported from a module not read could be any value.
  if (l.kind === 'namespace' || r.kind === 'namespace') return l.kind === 'namespace' && r.kind === 'namespace' && l.path === r.path ? true : undefined;
  if (l.kind === 'none' || r.kind === 'none') return l.kind === r.kind;
  if ((l.kind === 'number' || l.kind === 'bool') && (r.kind === 'number' || r.kind === 'bool')) return asNumber(l) === asNumber(r);
  if (l.kind === 'string' && r.kind === 'string') return l.value === r.value;
  if (l.kind === 'torchClass' && r.kind === 'torchClass') return l.name === r.name;
  if (l.kind === 'userClass' && r.kind === 'userClass') return l.cls === r.cls;
  if (l.kind === 'module' && r.kind === 'module') return l.module === r.module;
  if (l.kind !== r.kind) return false;
  return undefined;
}

function isInstance(value: PyValue | undefined, cls: PyValue | undefined): PyValue {
  if (!value || !cls) return unknownValue('isinstance');
  const classes = cls.kind === 'list' ? cls.items : [cls];
  if (value.kind === 'module') {
    return {
      kind: 'bool',
      value: classes.some((c) => (c.kind === 'torchClass' && (c.name === value.module.className || c.name === 'Module'))
        || (c.kind === 'userClass' && value.module.userClass !== undefined && inherits(value.module.userClass, c.cls))),
    };
  }
  if (value.kind === 'number') return { kind: 'bool', value: classes.some((c) => c.kind === 'builtin' && (c.name === 'int' ? value.isInt : c.name === 'float')) };
  if (value.kind === 'list') return { kind: 'bool', value: classes.some((c) => c.kind === 'builtin' && (c.name === (value.tuple ? 'tuple' : 'list'))) };
  return unknownValue('isinstance of an unknown value');
}

/** Bases the evaluator knows all about: user classes, torch classes, object and typing/enum/abc types. */
function isResolvedBase(base: PyValue): boolean {
  if (base.kind === 'userClass' || base.kind === 'torchClass' || base.kind === 'kerasClass') return true;
  if (base.kind === 'builtin') return base.name === 'object';
  return base.kind === 'namespace' && NON_MODULE_ROOTS.has(base.path.split('.')[0] ?? '');
}

function unresolvedBaseOf(cls: UserClass, seen = new Set<UserClass>()): string | undefined {
  if (seen.has(cls)) return undefined;
  seen.add(cls);
  if (cls.unresolvedBase) return cls.unresolvedBase;
  for (const base of cls.bases) if (base.kind === 'userClass') {
    const found = unresolvedBaseOf(base.cls, seen);
    if (found) return found;
  }
  return undefined;
}

function describeValue(value: PyValue): string {
  if (value.kind === 'unknown') return value.reason;
  if (value.kind === 'namespace') return `${value.path}, from a file not read`;
  return `a ${value.kind}`;
}

function inherits(cls: UserClass, target: UserClass): boolean {
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

function findClassAttribute(cls: UserClass, name: string): PyValue | undefined {
  const own = cls.attributes.get(name);
  if (own) return own;
  for (const base of cls.bases) if (base.kind === 'userClass') {
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
function enclosingClass(node: Node, start: UserClass | undefined): UserClass | undefined {
  let current: Node | null = node.parent;
  while (current && current.type !== 'class_definition') current = current.parent;
  if (!current || !start) return start;
  const search = (cls: UserClass): UserClass | undefined => {
    if (cls.node.id === current?.id) return cls;
    for (const base of cls.bases) if (base.kind === 'userClass') {
      const found = search(base.cls);
      if (found) return found;
    }
    return undefined;
  };
  return search(start) ?? start;
}

export { Abort };
