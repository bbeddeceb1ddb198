import type { Node } from 'web-tree-sitter';
import { activation as activationLayer, conv, other, pool } from '../../build/layers';
import type { ActivationFunction } from '../../ir/layers';
import { known, unknown } from '../../ir/fact';
import type { SourceRange } from '../../ir/source';
import { bindArguments, buildTorchLayer, intFact, torchActivation } from './torch-layers';
import { buildRecurrentLayer } from './torch-recurrent-layers';
import { buildTransformerModule } from './torch-transformer-layers';
import { mergeDependencies, type Dependencies } from './dependencies';
import { CONTAINERS, FUNCTIONAL_ACTIVATIONS, MAX_DEPTH, MAX_LAYERS, type Frame } from './evaluator-base';
import { Expressions } from './expressions';
import { findMethod, NON_MODULE_ROOTS, torchBaseOf, unresolvedBaseOf } from './classes';
import { cloneModule, countLeaves, hasIncomplete, instanceKey, markCallSite } from './module-tree';
import { keyText } from './value-ops';
import { constantCall } from './constant-calls';
import { mathCall } from './python-numbers';
import {
  asNumber,
  NONE,
  num,
  Scope,
  unknownModule,
  unknownValue,
  type ModuleNode,
  type PyValue,
  type UserClass,
  type UserFunction,
} from './values';

/** Calls: user functions and classes, torch.nn layers and containers, namespaces we know. */
export abstract class Calls extends Expressions {
  // ---------- calls ----------

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

  protected namespaceCall(path: string, positional: PyValue[], _keywords: Map<string, PyValue>, node: Node): PyValue {
    const name = path.split('.').pop() ?? '';
    const first = positional[0];
    const source = this.rangeOf(node);
    const constant = constantCall(path, positional, _keywords);
    if (constant) return constant;
    if (path.startsWith('torch.')) {
      const made = this.shapedTensor(path, name, positional, source);
      if (made) return made;
    }
    if (/^torch(\.nn\.functional)?$/.test(path.slice(0, path.lastIndexOf('.'))) || path.startsWith('torch.')) {
      if (FUNCTIONAL_ACTIVATIONS[name] && first?.kind === 'tensor') {
        const fn = torchActivation(FUNCTIONAL_ACTIVATIONS[name] ?? '');
        if (fn && fn !== 'identity') return { kind: 'tensor', ops: [...first.ops, { kind: 'activation', fn, source }] };
      }
      if (name === 'cat' || name === 'stack') return { kind: 'tensor', ops: [{ kind: 'cat', source }] };
      if ((name === 'flatten' || name === 'reshape') && first?.kind === 'tensor')
        return { kind: 'tensor', ops: [...first.ops, { kind: 'flatten', source }] };
      if (/pool/.test(name) && first?.kind === 'tensor')
        return { kind: 'tensor', ops: [...first.ops, { kind: 'pool', source }] };
      if (first?.kind === 'tensor') return first;
      if (path.startsWith('torch.nn.init')) return NONE;
    }
    if (path === 'typing.cast') return positional[1] ?? unknownValue('typing.cast');
    if ((path === 'copy.copy' || path === 'copy.deepcopy') && first) {
      // A copy is a new object: PyTorch counts a copied module's parameters again.
      if (first.kind === 'module') return { kind: 'module', module: cloneModule(first.module, false) };
      if (first.kind === 'list' && !first.tainted && path === 'copy.copy') return { ...first, items: [...first.items] };
      if (first.kind === 'dict' && !first.tainted && path === 'copy.copy')
        return { ...first, entries: new Map(first.entries) };
      if (first.kind === 'number' || first.kind === 'string' || first.kind === 'bool' || first.kind === 'none')
        return first;
    }
    if (path.startsWith('torch.nn.init')) return NONE;
    if (path.startsWith('math.')) {
      const maths = mathCall(name, positional);
      if (maths) return maths;
    }
    const result = this.opaqueCall(`${path}(...)`, positional, _keywords);
    // Anything from a module other than these may build a layer we cannot see into (a class, a
    // factory): where it lands in a model, the model's count is unknown, never short. torch's own
    // functions (torch.zeros...) make tensors, which are buffers, not parameters.
    const parts = path.split('.');
    const plain =
      NON_MODULE_ROOTS.has(parts[0] ?? '') || (parts.length === 2 && parts[0] === 'torch' && /^[a-z_]/.test(name));
    return plain ? unknownValue(`${path}(...)`) : result;
  }

  /**
   * Tensors of a known shape made at construction (torch.zeros, ones, empty, randn, rand, full,
   * and element-wise functions of them), and nn.Parameter of one: a leaf holding that many parameters.
   */
  private shapedTensor(path: string, name: string, positional: PyValue[], source: SourceRange): PyValue | undefined {
    const first = positional[0];
    if (/^torch\.nn\.(parameter\.)?Parameter$/.test(path)) {
      if (first?.kind !== 'array') return undefined;
      const count = first.shape.reduce((p, d) => p * d, 1);
      const params = Number.isSafeInteger(count) ? known(count) : unknown<number>('a parameter past 2^53 elements');
      return {
        kind: 'module',
        module: {
          className: 'Parameter',
          layer: { ...other({ name: '', className: 'Parameter', source }), params },
          children: new Map(),
          attributes: new Map(),
          source,
        },
      };
    }
    if (path !== `torch.${name}`) return undefined;
    if (['zeros', 'ones', 'empty', 'randn', 'rand', 'full'].includes(name)) {
      const dims =
        name === 'full' || first?.kind === 'list' ? (first?.kind === 'list' ? first.items : [first]) : positional;
      const shape = dims.map((d) => (d?.kind === 'number' && d.isInt && d.value >= 0 ? d.value : undefined));
      if (shape.length === 0 || shape.some((d) => d === undefined)) return undefined;
      return { kind: 'array', shape: shape as number[] };
    }
    if (['log', 'exp', 'sqrt', 'abs', 'sigmoid', 'tanh'].includes(name) && first?.kind === 'array') return first;
    // torch.tensor([0.485, 0.456, 0.406]): a constant (normalisation means), not a module.
    if ((name === 'tensor' || name === 'as_tensor') && first) return literalTensor(first);
    return undefined;
  }

  /**
   * A user class deriving from a torch class gets what that class's constructor makes: a
   * container's children, a layer's weights (class LayerNorm2d(nn.LayerNorm)), or, for a torch
   * class not built here, an unknown count.
   */
  protected adoptTorchBase(
    module: ModuleNode,
    base: string,
    positional: PyValue[],
    keywords: Map<string, PyValue>,
    node: Node,
    frame: Frame,
  ): void {
    const made = this.construct(base, positional, keywords, node, frame);
    if (made.kind !== 'module') {
      module.incomplete ??=
        `its base class torch.nn.${base} is not statically known ` +
        `(${made.kind === 'unknown' ? made.reason : made.kind})`;
      return;
    }
    for (const [k, v] of made.module.children) module.children.set(k, v);
    if (made.module.layer) module.layer = made.module.layer;
    if (made.module.incomplete) module.incomplete ??= made.module.incomplete;
  }

  /** Calling a module: in a traced forward, records the operation on the tensor. */
  protected callModule(module: ModuleNode, positional: PyValue[], node: Node): PyValue {
    const input = positional[0];
    if (input?.kind !== 'tensor') return unknownValue('a module called outside a traced forward');
    return { kind: 'tensor', ops: [...input.ops, { kind: 'module', module, source: this.rangeOf(node) }] };
  }

  protected construct(
    name: string,
    positional: PyValue[],
    keywords: Map<string, PyValue>,
    node: Node,
    frame: Frame,
  ): PyValue {
    const made = this.constructHere(name, positional, keywords, node, frame);
    // A container holds modules made before (marked then, or passed in from elsewhere): only what is made here.
    if (made.kind === 'module' && this.helperCall && !CONTAINERS.has(name)) {
      markCallSite(made.module, this.rangeOf(this.helperCall));
    }
    return made;
  }

  private constructHere(
    name: string,
    positional: PyValue[],
    keywords: Map<string, PyValue>,
    node: Node,
    frame: Frame,
  ): PyValue {
    const source = this.rangeOf(node);
    const container = (className: string, children: [string, PyValue][]): PyValue => {
      const module: ModuleNode = { className, children: new Map(), attributes: new Map(), source };
      for (const [key, value] of children) {
        if (value.kind === 'module') module.children.set(key, value.module);
        else if (value.kind !== 'none')
          module.incomplete ??=
            `an element of ${className} is not a module statically known ` +
            `(${value.kind === 'unknown' ? value.reason : value.kind})`;
      }
      return { kind: 'module', module };
    };
    switch (name) {
      case 'Sequential': {
        const only = positional[0];
        if (positional.length === 1 && only?.kind === 'dict') {
          return only.tainted
            ? unknownModule(`a Sequential of modules not statically known (${only.tainted})`)
            : container(name, [...only.entries]);
        }
        return container(
          name,
          positional.map((v, i) => [String(i), v]),
        );
      }
      case 'ModuleList': {
        const list = positional[0] ?? keywords.get('modules');
        if (!list || list.kind === 'none') return container(name, []);
        const items = this.iterate(list);
        if (!Array.isArray(items))
          return unknownModule(
            `a ModuleList of modules not statically known (${list.kind === 'unknown' ? list.reason : list.kind})`,
          );
        return container(
          name,
          items.map((v, i) => [String(i), v]),
        );
      }
      case 'ModuleDict': {
        const dict = positional[0] ?? keywords.get('modules');
        if (!dict || dict.kind === 'none') return container(name, []);
        if (dict.kind === 'dict' && !dict.tainted) return container(name, [...dict.entries]);
        const pairs = this.iterate(dict);
        const entries =
          Array.isArray(pairs) && dict.kind === 'list'
            ? pairs.map((p) =>
                p.kind === 'list' && p.items.length === 2
                  ? [keyText(p.items[0] ?? NONE), p.items[1]]
                  : [undefined, undefined],
              )
            : undefined;
        if (!entries || entries.some(([k, v]) => k === undefined || v === undefined)) {
          return unknownModule(
            `a ModuleDict of modules not statically known (${dict.kind === 'unknown' ? dict.reason : dict.kind})`,
          );
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
        if (++this.layersBuilt > MAX_LAYERS)
          this.abort(
            `the model has more than ${MAX_LAYERS.toLocaleString('en-US')} layers, too many to evaluate statically`,
            node,
          );
        const recurrent = buildRecurrentLayer(name, positional, keywords, source);
        if (recurrent) return { kind: 'module', module: recurrent };
        const copies = (module: ModuleNode, times: number): ModuleNode[] => this.deepCopies(module, times, node);
        const transformer = buildTransformerModule(name, positional, keywords, { source, copies });
        if (transformer) return { kind: 'module', module: transformer };
        const built = buildTorchLayer(name, bindArguments(name, positional, keywords), source);
        return built ? { kind: 'module', module: built } : unknownValue(`torch.nn.${name} is not supported`);
      }
    }
  }

  /** `copy.deepcopy(module)` `times` times (TransformerEncoder's layers), within the budget of layers. */
  private deepCopies(module: ModuleNode, times: number, node: Node): ModuleNode[] {
    this.layersBuilt += Math.max(1, countLeaves(module)) * times;
    if (this.layersBuilt > MAX_LAYERS)
      this.abort(
        `the model has more than ${MAX_LAYERS.toLocaleString('en-US')} layers, too many to evaluate statically`,
        node,
      );
    return Array.from({ length: times }, () => cloneModule(module, false));
  }

  /** torchvision.ops.SqueezeExcitation: avgpool, fc1 and fc2 (biased 1x1 convs), activation, scale_activation. */
  protected squeezeExcitation(args: Map<string, PyValue>, node: Node, frame: Frame): PyValue {
    const source = this.rangeOf(node);
    const channels = intFact(args.get('input_channels'), 'input_channels');
    const squeeze = intFact(args.get('squeeze_channels'), 'squeeze_channels');
    const module: ModuleNode = { className: 'SqueezeExcitation', children: new Map(), attributes: new Map(), source };
    const leafNode = (className: string, layer: ModuleNode['layer']): ModuleNode => ({
      className,
      layer,
      children: new Map(),
      attributes: new Map(),
      source,
    });
    module.children.set(
      'avgpool',
      leafNode('AdaptiveAvgPool2d', pool({ name: '', pool: 'avg', outputSize: [1, 1], source })),
    );
    module.children.set(
      'fc1',
      leafNode('Conv2d', conv({ name: '', inChannels: channels, outChannels: squeeze, kernel: 1, bias: true, source })),
    );
    module.children.set(
      'fc2',
      leafNode('Conv2d', conv({ name: '', inChannels: squeeze, outChannels: channels, kernel: 1, bias: true, source })),
    );
    const activationClass = args.get('activation') ?? { kind: 'torchClass', name: 'ReLU', preset: new Map() };
    const made =
      activationClass.kind === 'torchClass'
        ? this.construct(activationClass.name, [], activationClass.preset, node, frame)
        : unknownValue('an SE activation');
    let fn: ActivationFunction | null = null;
    if (made.kind === 'module') {
      module.children.set('activation', made.module);
      fn = made.module.layer?.kind === 'activation' ? made.module.layer.fn : null;
    } else module.incomplete = 'the SE activation is not statically known';
    module.children.set('scale_activation', leafNode('Sigmoid', activationLayer({ name: '', fn: 'sigmoid', source })));
    if (channels.known && squeeze.known)
      module.squeezeExcitation = { channels: channels.value, squeeze: squeeze.value, activation: fn };
    return { kind: 'module', module };
  }

  /** torchvision.ops.misc.Conv2dNormActivation: a Sequential of conv, norm (if any), activation (if any). */
  protected convNormActivation(args: Map<string, PyValue>, node: Node, frame: Frame): PyValue {
    const source = this.rangeOf(node);
    const kernel = asNumber(args.get('kernel_size'));
    const dilation = asNumber(args.get('dilation')) ?? 1;
    const normClass = args.get('norm_layer') ?? { kind: 'torchClass', name: 'BatchNorm2d', preset: new Map() };
    const actClass = args.get('activation_layer') ?? { kind: 'torchClass', name: 'ReLU', preset: new Map() };
    const padding =
      args.get('padding')?.kind === 'none' && kernel !== undefined
        ? num(Math.floor((kernel - 1) / 2) * dilation)
        : args.get('padding');
    const bias =
      args.get('bias')?.kind === 'none'
        ? { kind: 'bool' as const, value: normClass.kind === 'none' }
        : args.get('bias');
    const module: ModuleNode = {
      className: 'Conv2dNormActivation',
      children: new Map(),
      attributes: new Map(),
      source,
    };
    const convModule = buildTorchLayer(
      'Conv2d',
      bindArguments(
        'Conv2d',
        [],
        new Map<string, PyValue>([
          ['in_channels', args.get('in_channels') ?? NONE],
          ['out_channels', args.get('out_channels') ?? NONE],
          ['kernel_size', args.get('kernel_size') ?? NONE],
          ['stride', args.get('stride') ?? num(1)],
          ['padding', padding ?? num(0)],
          ['dilation', num(dilation)],
          ['groups', args.get('groups') ?? num(1)],
          ['bias', bias ?? NONE],
        ]),
      ),
      source,
    );
    if (convModule) module.children.set('0', convModule);
    let index = 1;
    for (const [cls, argsFor] of [
      [normClass, [args.get('out_channels') ?? NONE]],
      [actClass, []],
    ] as [PyValue, PyValue[]][]) {
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

/** The shape of a (nested) list of numbers, as torch.tensor makes it; undefined when not rectangular or not numbers. */
function literalTensor(value: PyValue): PyValue | undefined {
  const shapeOf = (v: PyValue): number[] | undefined => {
    if (v.kind === 'number' || v.kind === 'bool') return [];
    if (v.kind !== 'list' || v.tainted) return undefined;
    const inner = v.items.map(shapeOf);
    const first = inner[0];
    if (inner.some((s) => s === undefined || s.join() !== (first ?? []).join())) return undefined;
    return [v.items.length, ...(first ?? [])];
  };
  const shape = shapeOf(value);
  return shape ? { kind: 'array', shape } : undefined;
}
