import type { Node } from 'web-tree-sitter';
import { activation as activationLayer, conv, pool } from '../../build/layers';
import type { ActivationFunction } from '../../ir/layers';
import { bindArguments, buildTorchLayer, intFact } from './torch-layers';
import { buildRecurrentLayer } from './torch-recurrent-layers';
import { buildTransformerModule } from './torch-transformer-layers';
import { CONTAINERS, MAX_LAYERS, type Frame } from './evaluator-base';
import { Expressions } from './expressions';
import { cloneModule, countLeaves, markCallSite } from './module-tree';
import { keyText } from './value-ops';
import { asNumber, NONE, num, Scope, unknownModule, unknownValue, type ModuleNode, type PyValue } from './values';

/** Constructing torch.nn classes: containers, layers, torchvision's building blocks, a user class's torch base. */
export abstract class TorchConstruction extends Expressions {
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
      module.incomplete ??= `its base class torch.nn.${base} is not statically known (${whatIs(made)})`;
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
          module.incomplete ??= `an element of ${className} is not a module statically known (${whatIs(value)})`;
      }
      return { kind: 'module', module };
    };
    const notKnown = (reason: string): PyValue =>
      unknownModule(`a ${name} of modules not statically known (${reason})`);
    /** Sequential(*modules) and ModuleList(iterable): children keyed by position. */
    const numbered = (items: readonly PyValue[]): PyValue =>
      container(
        name,
        items.map((v, i) => [String(i), v]),
      );
    switch (name) {
      case 'Sequential': {
        const only = positional[0];
        if (positional.length === 1 && only?.kind === 'dict') {
          return only.tainted ? notKnown(only.tainted) : container(name, [...only.entries]);
        }
        return numbered(positional);
      }
      case 'ModuleList': {
        const list = positional[0] ?? keywords.get('modules');
        if (!list || list.kind === 'none') return container(name, []);
        const items = this.iterate(list);
        return Array.isArray(items) ? numbered(items) : notKnown(whatIs(list));
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
        if (!entries || entries.some(([k, v]) => k === undefined || v === undefined)) return notKnown(whatIs(dict));
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
}

/** What a value that is not the module wanted is, for a message: why it is unknown, or its kind. */
function whatIs(value: PyValue): string {
  return value.kind === 'unknown' ? value.reason : value.kind;
}
