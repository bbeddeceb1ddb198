import type { Node, Tree } from 'web-tree-sitter';
import type { ModuleLoader } from './module-loader';
import { KerasRecorder } from '../keras/keras-recorder';
import type { SourceRange } from '../../ir/source';
import type { PythonSourceMap } from './python-parser';
import { GlobalScope, mergeDependencies, noDependencies, type Dependencies } from './dependencies';
import { toList } from './tensor-constants';
import { unknownModule, unknownValue, type ModuleNode, type PyValue, type Scope } from './values';

/** Evaluation stops (and says why) past these, so a hostile or huge file cannot hang the editor. */
export const MAX_STEPS = 400_000;
/** A file with many models may take several models' budgets, within reason. */
export const MAX_FILE_STEPS = 4_000_000;
export const MAX_DEPTH = 60;
export const MAX_LOOP = 10_000;
/** Far above the largest real CNNs (ResNet-152 and RobArch-L have under 600 layers). */
export const MAX_LAYERS = 5_000;
/** Lists, tuples and strings past these are hostile or not model code (`l = l + l` 64 times). */
export const MAX_ITEMS = 100_000;
export const MAX_STRING = 1_000_000;

/** Evaluation stopped: why, and where (the statement or expression it was at). */
export class Abort extends Error {
  constructor(
    message: string,
    readonly range?: SourceRange,
  ) {
    super(message);
  }
}

export type Signal = { kind: 'return'; value: PyValue } | { kind: 'break' } | { kind: 'continue' } | undefined;

export interface Frame {
  /** The module under construction, which an unknowable branch makes incomplete. */
  readonly self?: ModuleNode;
  /** Forward tracing: tensors flow, module calls record operations. */
  readonly tracing: boolean;
}

export const CONTAINERS = new Set(['Sequential', 'ModuleList', 'ModuleDict', 'Module']);
export const OPAQUE_ITERATORS = new Set([
  'modules',
  'children',
  'named_modules',
  'named_children',
  'parameters',
  'named_parameters',
  'buffers',
]);
export const FUNCTIONAL_ACTIVATIONS: Record<string, string> = {
  relu: 'ReLU',
  relu_: 'ReLU',
  relu6: 'ReLU6',
  silu: 'SiLU',
  gelu: 'GELU',
  mish: 'Mish',
  hardswish: 'Hardswish',
  sigmoid: 'Sigmoid',
  tanh: 'Tanh',
  elu: 'ELU',
  leaky_relu: 'LeakyReLU',
  softplus: 'Softplus',
};

/** `keras.layers`, `tf.keras.layers`, `tensorflow.keras.layers`: where Keras layer classes live. */
export function isKerasLayers(path: string): boolean {
  return /^(tensorflow\.|tf\.)?keras\.layers$/.test(path);
}

export function isKeras(path: string): boolean {
  return /^(tensorflow\.|tf\.)?keras(\.models)?$/.test(path);
}

/**
 * What every part of the static evaluator shares: syntax access (cached: tree-sitter nodes cost a
 * WebAssembly call per access), the budgets, and how a part it cannot follow is recorded. The
 * parts build on it in layers: expressions, calls, builtins, statements (the Interpreter).
 */
export abstract class EvaluatorBase {
  readonly globals = new GlobalScope();
  readonly keras = new KerasRecorder();
  protected steps = 0;
  protected depth = 0;
  protected layersBuilt = 0;

  constructor(
    protected readonly map: PythonSourceMap,
    moduleName = 'model',
  ) {
    populateModuleScope(this.globals, moduleName);
  }

  /** Follows imports to other module files when set (a read of a file on disk). */
  loader: ModuleLoader | undefined;
  /** The main file's syntax tree: nodes of other trees come from imported modules. */
  protected mainTree: Tree | undefined;
  /** The last node of the main file evaluated: where what imported code builds is shown. */
  protected lastLocal: Node | undefined;

  /**
   * A node's range in the main file. Code from an imported module has no place in it: what it
   * builds is shown where the main file's evaluation was (the call into it).
   */
  /** Whether a node is the main file's (not an imported module's). */
  isLocal(node: Node): boolean {
    return !this.mainTree || node.tree === this.mainTree;
  }

  rangeOf(node: Node): SourceRange {
    if (!this.mainTree || node.tree === this.mainTree) return this.map.range(node);
    return this.lastLocal
      ? this.map.range(this.lastLocal)
      : { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } };
  }

  // ---------- syntax access ----------
  // tree-sitter's WebAssembly nodes cost a call across the boundary on every access; the
  // evaluator revisits the same class bodies for every block, so children are cached per node.
  protected readonly kidsCache = new Map<number, Node[]>();
  protected readonly fieldCache = new Map<number, Map<string, Node | null>>();
  protected readonly fieldsCache = new Map<number, Map<string, Node[]>>();

  protected readonly typeCache = new Map<number, string>();

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

  protected fileSteps = 0;

  /**
   * The call of a helper function (`conv3x3(...)`) from a module's or factory's own code while it
   * runs: the layers it builds are counted at that call, not on the helper's lines every caller shares.
   */
  protected helperCall: Node | undefined;

  /** Runs `body` with the layers it builds counted at `site` (undefined: on their own lines). */
  protected builtAt<T>(site: Node | undefined, body: () => T): T {
    const outer = this.helperCall;
    this.helperCall = site;
    try {
      return body();
    } finally {
      this.helperCall = outer;
    }
  }

  /** The node being evaluated, where an abort points. */
  protected at: Node | undefined;

  protected step(node: Node): void {
    this.at = node;
    if (!this.mainTree || node.tree === this.mainTree) this.lastLocal = node;
    if (++this.steps > MAX_STEPS) this.abort('the model takes too long to evaluate statically');
    if (++this.fileSteps > MAX_FILE_STEPS) this.abort('the file takes too long to evaluate statically');
  }

  /** Stops evaluation with a reason and the location being evaluated. */
  abort(message: string, node: Node | undefined = this.at): never {
    throw new Abort(message, node ? this.rangeOf(node) : undefined);
  }

  /** A list or tuple of `length` items, or an abort when that is more than any model needs. */
  protected checkItems(length: number): void {
    if (length > MAX_ITEMS)
      this.abort(`a list of ${length.toLocaleString('en-US')} items is too large to evaluate statically`);
  }

  protected checkString(length: number): void {
    if (length > MAX_STRING)
      this.abort(`a string of ${length.toLocaleString('en-US')} characters is too large to evaluate statically`);
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

  protected body(node: Node | null): Node[] {
    return node ? this.kids(node).filter((c): c is Node => c !== null && this.typeOf(c) !== 'comment') : [];
  }

  /** The items of an iterable, 'opaque' for iterations that only initialise weights, undefined when unknown. */
  protected iterate(value: PyValue): PyValue[] | 'opaque' | undefined {
    if ((value.kind === 'list' || value.kind === 'dict') && value.tainted) return undefined;
    if (value.kind === 'list') return value.items;
    if (value.kind === 'dict') return [...value.entries.keys()].map((k) => ({ kind: 'string', value: k }));
    if (value.kind === 'string') return [...value.value].map((c) => ({ kind: 'string', value: c }));
    if (value.kind === 'module') return [...value.module.children.values()].map((m) => ({ kind: 'module', module: m }));
    if (value.kind === 'array' && value.data && value.shape.length > 0) {
      const rows = toList({ ...value, data: value.data });
      if (rows.kind === 'list') return rows.items;
    }
    if (value.kind === 'unknown' && value.reason === 'opaque') return 'opaque';
    return undefined;
  }

  /** Set when a traced forward met something it could not follow (its facts are then unknown). */
  traceProblem: string | undefined;

  /**
   * A call into code we cannot follow. It may change what it is given (torchvision's
   * `_ovewrite_named_param(kwargs, ...)`): those lists and dicts are no longer known.
   */
  protected opaqueCall(
    reason: string,
    positional: readonly PyValue[],
    keywords: ReadonlyMap<string, PyValue>,
  ): PyValue {
    for (const arg of [...positional, ...keywords.values()]) {
      if (arg.kind === 'list' || arg.kind === 'dict') arg.tainted ??= `it was passed to ${reason}`;
    }
    // What it returns may be a module (a model from a factory we cannot read).
    return unknownModule(reason);
  }

  /** A call whose arguments are unknown: its result is unknown, and so is the module being built. */
  protected unknownCall(reason: string, frame: Frame): PyValue {
    this.markIncomplete(frame, reason);
    return unknownValue(reason);
  }

  protected markIncomplete(frame: Frame, reason: string): void {
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

  /** Bumped by any assignment to a module-level name, which could change what __init__ reads. */
  protected globalsEpoch = 0;

  abstract eval(node: Node, scope: Scope, frame: Frame): PyValue;
  abstract execBlock(statements: readonly Node[], scope: Scope, frame: Frame): Signal;
}

/** A module's scope before its code runs: Python's builtins and its __name__. */
export function populateModuleScope(scope: Scope, moduleName: string): void {
  for (const name of [
    'range',
    'len',
    'int',
    'float',
    'round',
    'min',
    'max',
    'sum',
    'abs',
    'list',
    'tuple',
    'enumerate',
    'zip',
    'isinstance',
    'print',
    'getattr',
    'setattr',
    'hasattr',
    'dict',
    'bool',
    'str',
    'reversed',
    'sorted',
    'any',
    'all',
    'super',
    'object',
    'set',
    'frozenset',
    'type',
  ]) {
    scope.set(name, { kind: 'builtin', name });
  }
  // Read as a library, never as a script: `if __name__ == "__main__":` blocks do not run.
  scope.set('__name__', { kind: 'string', value: moduleName });
}
