import type { Node } from 'web-tree-sitter';
import { mergeDependencies, type Dependencies } from './dependencies';
import { MAX_DEPTH, MAX_LAYERS, type Frame } from './evaluator-base';
import { NamespaceCalls } from './namespace-calls';
import { findMethod, torchBaseOf, unresolvedBaseOf } from './classes';
import { cloneModule, countLeaves, hasIncomplete, instanceKey } from './module-tree';
import { NONE, Scope, unknownValue, type ModuleNode, type PyValue, type UserClass, type UserFunction } from './values';

/** Calls: the dispatch on what is called, user functions (their parameters bound) and user classes. */
export abstract class Calls extends NamespaceCalls {
  protected evalCall(node: Node, scope: Scope, frame: Frame): PyValue {
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
        else
          return this.unknownCall(
            `the arguments *${inner?.text ?? ''} are not statically ` +
              `known${value.kind === 'list' ? ` (${value.tainted ?? ''})` : ''}`,
            frame,
          );
      } else if (this.typeOf(arg) === 'dictionary_splat') {
        const inner = this.kids(arg)[0];
        const value = inner ? this.eval(inner, scope, frame) : NONE;
        if (value.kind === 'dict' && !value.tainted) for (const [k, v] of value.entries) keywords.set(k, v);
        else
          return this.unknownCall(
            `the arguments **${inner?.text ?? ''} are not statically ` +
              `known${value.kind === 'dict' ? ` (${value.tainted ?? ''})` : ''}`,
            frame,
          );
      } else if (this.typeOf(arg) === 'generator_expression') {
        positional.push(this.comprehension(arg, scope, frame));
      } else {
        positional.push(this.eval(arg, scope, frame));
      }
    }
    return this.call(callee, positional, keywords, node, scope, frame);
  }

  call(
    callee: PyValue,
    positional: PyValue[],
    keywords: Map<string, PyValue>,
    node: Node,
    scope: Scope,
    frame: Frame,
  ): PyValue {
    switch (callee.kind) {
      case 'torchClass':
        return this.construct(callee.name, positional, new Map([...callee.preset, ...keywords]), node, frame);
      case 'userClass':
        return this.instantiate(callee.cls, positional, keywords, node);
      case 'function': {
        // The outermost helper called from a module's or factory's code (not a top-level statement).
        const site = this.helperCall ?? (this.depth > 0 ? node : undefined);
        const args = callee.first ? [callee.first, ...positional] : positional;
        return this.builtAt(site, () => this.invoke(callee.fn, undefined, args, keywords, frame));
      }
      case 'bound':
        return this.invoke(callee.fn, callee.self, positional, keywords, frame);
      case 'partial':
        return this.call(
          callee.fn,
          [...callee.args, ...positional],
          new Map([...callee.keywords, ...keywords]),
          node,
          scope,
          frame,
        );
      case 'module':
        return this.callModule(callee.module, positional, node);
      case 'builtin':
        return this.builtin(callee, positional, keywords, node, scope, frame);
      case 'namespace':
        return this.namespaceCall(callee.path, positional, keywords, node);
      case 'kerasClass':
        return {
          kind: 'kerasLayer',
          layer: this.keras.createLayer(callee.name, positional, keywords, this.rangeOf(node)),
        };
      case 'kerasLayer':
        return this.keras.call(callee.layer, positional);
      default:
        return this.opaqueCall(
          `a call to ${callee.kind === 'unknown' ? callee.reason : `a ${callee.kind}`}`,
          positional,
          keywords,
        );
    }
  }

  /**
   * Module classes built again with the same plain arguments at the same call site (a block in
   * a `for` loop) give the same subtree: it is cloned instead of evaluated again. Arguments that
   * could be shared or mutated (lists of modules, dicts) are never cached, nor are incomplete results.
   */
  protected readonly instances = new Map<
    string,
    { readonly module: ModuleNode; readonly dependencies: Dependencies | undefined }
  >();

  instantiate(cls: UserClass, positional: PyValue[], keywords: Map<string, PyValue>, node: Node): PyValue {
    this.globals.recording?.executed.add(cls.node);
    const key = instanceKey(cls, positional, keywords, node.id, this.globalsEpoch);
    const cached = key ? this.instances.get(key) : undefined;
    if (cached) {
      this.layersBuilt += countLeaves(cached.module);
      if (this.layersBuilt > MAX_LAYERS)
        this.abort(
          `the model has more than ${MAX_LAYERS.toLocaleString('en-US')} layers, too many to evaluate statically`,
          node,
        );
      // A clone depends on everything the original's construction read.
      if (this.globals.recording && cached.dependencies) mergeDependencies(this.globals.recording, cached.dependencies);
      return { kind: 'module', module: cloneModule(cached.module, true) };
    }
    const { value: built, dependencies } = this.trackDependencies
      ? this.recordDependencies(() => this.instantiateFresh(cls, positional, keywords, node))
      : { value: this.instantiateFresh(cls, positional, keywords, node), dependencies: undefined };
    // The cache keeps a pristine copy: the caller may still change the instance it got.
    if (key && built.kind === 'module' && !hasIncomplete(built.module))
      this.instances.set(key, { module: cloneModule(built.module, false), dependencies });
    return built;
  }

  protected instantiateFresh(
    cls: UserClass,
    positional: PyValue[],
    keywords: Map<string, PyValue>,
    node: Node,
  ): PyValue {
    const module: ModuleNode = {
      className: cls.name,
      userClass: cls,
      children: new Map(),
      attributes: new Map(),
      source: this.rangeOf(node),
    };
    const unresolved = unresolvedBaseOf(cls);
    if (unresolved) module.incomplete = unresolved;
    if (cls.fields && !findMethod(cls, '__init__')) {
      // A dataclass: arguments bind to its fields in order, the rest keep their class defaults.
      cls.fields.forEach((field, i) => {
        const value = i < positional.length ? positional[i] : keywords.get(field);
        if (value) module.attributes.set(field, value);
      });
      return { kind: 'module', module };
    }
    const init = findMethod(cls, '__init__');
    if (init) {
      // A class's own lines say where its layers are made, even when a helper instantiates it.
      this.builtAt(undefined, () => this.invoke(init, module, positional, keywords, { self: module, tracing: false }));
    } else {
      const torchBase = torchBaseOf(cls);
      if (torchBase) this.adoptTorchBase(module, torchBase, positional, keywords, node, { tracing: false });
    }
    return { kind: 'module', module };
  }

  invoke(
    fn: UserFunction,
    self: ModuleNode | undefined,
    positional: PyValue[],
    keywords: Map<string, PyValue>,
    outer: Frame,
  ): PyValue {
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

  protected bindParameters(
    fn: UserFunction,
    positional: PyValue[],
    keywords: Map<string, PyValue>,
    scope: Scope,
    frame: Frame,
  ): void {
    const parameterList = this.field(fn.node, 'parameters');
    const params = parameterList ? this.kids(parameterList) : [];
    let index = 0;
    const rest = new Map(keywords);
    for (const param of params) {
      if (!param) continue;
      switch (this.typeOf(param)) {
        case 'identifier':
        case 'typed_parameter': {
          const name = this.typeOf(param) === 'identifier' ? param.text : (this.kids(param)[0]?.text ?? '');
          if (this.typeOf(param) === 'typed_parameter' && this.kids(param)[0]?.type === 'list_splat_pattern') {
            scope.set(this.kids(this.kids(param)[0] as Node)[0]?.text ?? '', {
              kind: 'list',
              items: positional.slice(index),
              tuple: true,
            });
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

  protected abstract builtin(
    callee: { kind: 'builtin'; name: string; self?: PyValue },
    args: PyValue[],
    keywords: Map<string, PyValue>,
    node: Node,
    scope: Scope,
    frame: Frame,
  ): PyValue;
}
