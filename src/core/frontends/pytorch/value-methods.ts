// The methods of lists, dicts, strings, arrays, tensors, Keras models and modules, and super().__init__.
import type { Node } from 'web-tree-sitter';
import { Calls } from './calls';
import { findMethod } from './classes';
import { constantMethod } from './constant-calls';
import { FUNCTIONAL_ACTIVATIONS, OPAQUE_ITERATORS, type Frame } from './evaluator-base';
import { torchActivation } from './torch-layers';
import { asNumber, NONE, unknownModule, unknownValue, type PyValue, type Scope } from './values';

/** The methods Python values have, called as owner.name on the value `callee.self`. */
export abstract class ValueMethods extends Calls {
  protected method(
    callee: { kind: 'builtin'; name: string; self?: PyValue },
    args: PyValue[],
    keywords: Map<string, PyValue>,
    node: Node,
    scope: Scope,
    frame: Frame,
  ): PyValue {
    const [owner, name] = callee.name.split('.') as [string, string];
    const self = callee.self;
    const [a, b] = args;
    if (
      (owner === 'list' || owner === 'dict') &&
      (self?.kind === 'list' || self?.kind === 'dict') &&
      self.tainted &&
      !['append', 'extend', 'insert', 'update'].includes(name)
    ) {
      return unknownValue(self.tainted);
    }
    if (owner === 'list' && self?.kind === 'list') {
      switch (name) {
        case 'append':
          self.items.push(a ?? NONE);
          return NONE;
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
        case 'pop':
          return self.items.pop() ?? NONE;
        case 'index':
          return unknownValue('list.index');
        default:
          return unknownValue(`list.${name}`);
      }
    }
    if (owner === 'dict' && self?.kind === 'dict') {
      switch (name) {
        case 'items':
          return {
            kind: 'list',
            items: [...self.entries].map(([k, v]) => ({
              kind: 'list',
              items: [{ kind: 'string', value: k }, v],
              tuple: true,
            })),
            tuple: false,
          };
        case 'keys':
          return {
            kind: 'list',
            items: [...self.entries.keys()].map((k) => ({ kind: 'string', value: k })),
            tuple: false,
          };
        case 'values':
          return { kind: 'list', items: [...self.entries.values()], tuple: false };
        case 'get':
          return (a?.kind === 'string' ? self.entries.get(a.value) : undefined) ?? b ?? NONE;
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
        default:
          return unknownValue(`dict.${name}`);
      }
    }
    if (owner === 'kerasModel' && self?.kind === 'kerasModel' && name === 'add' && a?.kind === 'kerasLayer') {
      const layers = self.graph.layers as import('../keras/keras-graph').KerasLayerNode[];
      const previous = layers[layers.length - 1];
      const shape = a.layer.config.input_shape;
      if (!self.graph.inputShape && Array.isArray(shape))
        (self.graph as { inputShape?: (number | null)[] }).inputShape = shape.map((d) =>
          typeof d === 'number' ? d : null,
        );
      layers.push({
        name: a.layer.name,
        className: a.layer.className,
        config: a.layer.config,
        inbound: previous ? [previous.name] : [],
        source: a.layer.source,
      });
      return NONE;
    }
    if (owner === 'string' && self?.kind === 'string') {
      if (name === 'format') return unknownValue('string formatting');
      if (name === 'lower' || name === 'upper')
        return { kind: 'string', value: name === 'lower' ? self.value.toLowerCase() : self.value.toUpperCase() };
      if ((name === 'startswith' || name === 'endswith') && (a?.kind === 'string' || a?.kind === 'list')) {
        const options = a.kind === 'string' ? [a] : a.items;
        if (!options.every((o) => o.kind === 'string')) return unknownValue(`str.${name} of unknown values`);
        const texts = options.map((o) => (o as { value: string }).value);
        return {
          kind: 'bool',
          value: texts.some((t) => (name === 'startswith' ? self.value.startsWith(t) : self.value.endsWith(t))),
        };
      }
      if (name === 'replace' && a?.kind === 'string' && b?.kind === 'string' && args.length === 2) {
        const replaced = self.value.split(a.value).join(b.value);
        this.checkString(replaced.length);
        return { kind: 'string', value: replaced };
      }
      if (name === 'strip' && args.length === 0) return { kind: 'string', value: self.value.trim() };
      return unknownValue(`str.${name}`);
    }
    if (owner === 'array' && self?.kind === 'array') {
      const constant = constantMethod(self, name, args, keywords);
      if (constant) return constant;
      // In-place initialisers and copies keep the shape.
      if (/^(normal_|uniform_|zero_|fill_|trunc_normal_|clone|detach|float|contiguous)$/.test(name)) return self;
      return unknownValue(`Tensor.${name}`);
    }
    if (owner === 'tensor' && self?.kind === 'tensor') {
      const source = this.rangeOf(node);
      const activationName = FUNCTIONAL_ACTIVATIONS[name];
      if (activationName) {
        const fn = torchActivation(activationName);
        if (fn && fn !== 'identity') return { kind: 'tensor', ops: [...self.ops, { kind: 'activation', fn, source }] };
      }
      if (name === 'flatten' || name === 'view' || name === 'reshape')
        return { kind: 'tensor', ops: [...self.ops, { kind: 'flatten', source }] };
      if (name === 'mean') return { kind: 'tensor', ops: [...self.ops, { kind: 'pool', source }] };
      return self;
    }
    if (owner === 'module' && self?.kind === 'module') {
      const module = self.module;
      switch (name) {
        case 'add_module':
        case 'register_module':
        case 'register_parameter':
        case '__setattr__':
          if (a?.kind === 'string' && b) this.setModuleAttribute(module, a.value, b);
          else if (!module.incomplete)
            module.incomplete = `${module.className}.${name} with a name or module not statically known`;
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
            if (item?.kind === 'module')
              this.addIndexed(module, item.module, name === 'insert' ? asNumber(a) : undefined);
            else
              module.incomplete ??=
                `${module.className}.${name} of something not a module statically known ` +
                `(${item?.kind === 'unknown' ? item.reason : (item?.kind ?? 'nothing')})`;
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
        else if (base.cls.fields)
          base.cls.fields.forEach((field, i) => {
            const value = i < args.length ? args[i] : keywords.get(field);
            if (value) self.self.attributes.set(field, value);
          });
        return NONE;
      }
      if (base?.kind === 'torchClass' && base.name !== 'Module')
        this.adoptTorchBase(self.self, base.name, args, keywords, node, frame);
      return NONE;
    }
    void scope;
    return unknownValue(`${callee.name}()`);
  }
}
