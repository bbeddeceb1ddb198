import type { Node } from 'web-tree-sitter';
import { CONTAINERS, MAX_LOOP, type Frame } from './evaluator-base';
import { enclosingClass, torchBaseOf } from './classes';
import { compareValues, inList, isInstance, keyText, typeOfValue } from './value-ops';
import { pyAbs, pyFloat, pyInt, pyRound } from './python-numbers';
import { asNumber, NONE, num, truthy, unknownValue, type ModuleNode, type PyValue, type Scope } from './values';
import { ValueMethods } from './value-methods';

/** What every nn.Module has besides what its class sets: its public API and private state. */
const MODULE_API_NAMES = [
  'training',
  'forward',
  'parameters',
  'named_parameters',
  'buffers',
  'named_buffers',
  'children',
  'named_children',
  'modules',
  'named_modules',
  'train',
  'eval',
  'to',
  'cuda',
  'cpu',
  'apply',
  'state_dict',
  'load_state_dict',
  'zero_grad',
  'requires_grad_',
  'add_module',
  'get_submodule',
  'get_parameter',
  'get_buffer',
  'extra_repr',
  'half',
  'float',
  'double',
  'type',
  'share_memory',
  'dump_patches',
  'T_destination',
  'call_super_init',
];
const MODULE_API = new RegExp(`^(_.*|register_\\w+|${MODULE_API_NAMES.join('|')})$`);

/**
 * Whether a module has an attribute its evaluation did not set: false for a user class built on
 * nn.Module alone (only nn.Module's own API could add one); not known for a torch layer (its
 * weight, bias...) or a class built on one.
 */
function moduleHasAttribute(module: ModuleNode, name: string): boolean | undefined {
  if (MODULE_API.test(name)) return true;
  // Convolutions, linear layers and norms register weight and bias (as None when they have none).
  if (module.layer && ['conv', 'linear', 'norm'].includes(module.layer.kind) && (name === 'weight' || name === 'bias'))
    return true;
  if (module.layer || module.incomplete) return undefined;
  // A torch container (Sequential, ModuleList...) has its children and nn.Module's API only.
  if (!module.userClass) return CONTAINERS.has(module.className) ? false : undefined;
  const base = torchBaseOf(module.userClass);
  return base === undefined || base === 'Module' ? false : undefined;
}

/** Python's builtins (range, len, zip...); the methods of lists, dicts, strings... are ValueMethods'. */
export abstract class Builtins extends ValueMethods {
  protected builtin(
    callee: { kind: 'builtin'; name: string; self?: PyValue },
    args: PyValue[],
    keywords: Map<string, PyValue>,
    node: Node,
    scope: Scope,
    frame: Frame,
  ): PyValue {
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
        if ((a?.kind === 'list' || a?.kind === 'dict') && a.tainted)
          return unknownValue(`len of a value not statically known (${a.tainted})`);
        if (a?.kind === 'list') return num(a.items.length, true);
        if (a?.kind === 'module') return num(a.module.children.size, true);
        if (a?.kind === 'dict') return num(a.entries.size, true);
        if (a?.kind === 'string') return num(a.value.length, true);
        if (a?.kind === 'array' && a.shape.length > 0) return num(a.shape[0] ?? 0, true);
        return unknownValue('len of an unknown value');
      case 'int':
        return a?.kind === 'string' && /^\s*[-+]?\d+\s*$/.test(a.value) ? num(Number(a.value), true) : pyInt(a);
      case 'float':
        return pyFloat(a);
      case 'bool':
        return a
          ? truthy(a) === undefined
            ? unknownValue('bool of an unknown value')
            : { kind: 'bool', value: truthy(a) as boolean }
          : { kind: 'bool', value: false };
      case 'round':
        return pyRound(a, b ?? keywords.get('ndigits'));
      case 'abs':
        return pyAbs(a);
      case 'min':
      case 'max': {
        const items = args.length === 1 && a ? this.iterate(a) : args;
        if (!Array.isArray(items) || items.length === 0) return unknownValue(`${callee.name} of unknown values`);
        let best = items[0] as PyValue;
        for (const item of items.slice(1)) {
          const better = compareValues(callee.name === 'min' ? '<' : '>', item, best);
          if (better === undefined) return unknownValue(`${callee.name} of unknown values`);
          if (better) best = item;
        }
        return best;
      }
      case 'sum': {
        const items = a ? this.iterate(a) : undefined;
        if (!Array.isArray(items)) return unknownValue('sum of an unknown value');
        let total: PyValue = b ?? num(0, true);
        for (const item of items) {
          if (item.kind !== 'number' && item.kind !== 'bool') return unknownValue('sum of unknown values');
          total = this.arithmetic('+', total, item, node);
        }
        return total;
      }
      case 'set':
      case 'frozenset': {
        const items = a ? this.iterate(a) : [];
        if (!Array.isArray(items)) return unknownValue(`${callee.name} of an unknown value`);
        const unique: PyValue[] = [];
        for (const item of items) {
          const seen = inList(unique, item);
          if (seen === undefined) return unknownValue(`${callee.name} of values not statically comparable`);
          if (!seen) unique.push(item);
        }
        // Iteration order of a set is not the list's: only its size and membership are kept.
        return { kind: 'list', items: unique, tuple: true, tainted: undefined };
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
        return {
          kind: 'list',
          items: items.map((v, i) => ({ kind: 'list', items: [num(i + start, true), v], tuple: true })),
          tuple: false,
        };
      }
      case 'zip': {
        const lists = args.map((v) => this.iterate(v));
        if (lists.some((l) => !Array.isArray(l))) return unknownValue('zip of unknown values');
        const arrays = lists as PyValue[][];
        const length = Math.min(...arrays.map((l) => l.length));
        return {
          kind: 'list',
          items: Array.from({ length }, (_, i) => ({
            kind: 'list',
            items: arrays.map((l) => l[i] ?? NONE),
            tuple: true,
          })),
          tuple: false,
        };
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
      case 'type':
        return args.length === 1 && a ? typeOfValue(a) : unknownValue('type() with several arguments');
      case 'print':
        return NONE;
      case 'str':
        return a?.kind === 'number' || a?.kind === 'string'
          ? { kind: 'string', value: String(a.kind === 'number' ? a.value : a.value) }
          : unknownValue('str of an unknown value');
      case 'dict':
      case 'OrderedDict': {
        const entries = new Map<string, PyValue>();
        if (a && (a.kind === 'list' || a.kind === 'dict') && a.tainted)
          return unknownValue(`${callee.name} of a value not statically known (${a.tainted})`);
        if (a?.kind === 'list') {
          for (const pair of a.items) {
            const text = pair.kind === 'list' && pair.items.length === 2 ? keyText(pair.items[0] ?? NONE) : undefined;
            if (pair.kind !== 'list' || text === undefined)
              return unknownValue(`${callee.name} with an entry not statically known`);
            entries.set(text, pair.items[1] ?? NONE);
          }
        } else if (a?.kind === 'dict') {
          for (const [k, v] of a.entries) entries.set(k, v);
        } else if (a && a.kind !== 'none') {
          return unknownValue(
            `${callee.name} of a value not statically known${a.kind === 'unknown' ? ` (${a.reason})` : ''}`,
          );
        }
        for (const [k, v] of keywords) entries.set(k, v);
        return { kind: 'dict', entries };
      }
      case 'keras.Input': {
        const name = keywords.get('name');
        return this.keras.input(
          keywords.get('shape') ?? a,
          name?.kind === 'string' ? name.value : undefined,
          this.rangeOf(node),
        );
      }
      case 'keras.Sequential': {
        const list = a ?? keywords.get('layers');
        const name = keywords.get('name');
        return {
          kind: 'kerasModel',
          graph: this.keras.sequential(
            list?.kind === 'list' ? list.items : [],
            name?.kind === 'string' ? name.value : 'sequential',
            this.rangeOf(node),
          ),
        };
      }
      case 'keras.Model': {
        const outputs = keywords.get('outputs') ?? b;
        const name = keywords.get('name');
        const graph = this.keras.functional(
          outputs,
          name?.kind === 'string' ? name.value : 'model',
          this.rangeOf(node),
        );
        return graph
          ? { kind: 'kerasModel', graph }
          : unknownValue('a Keras model whose outputs are not statically known');
      }
      case 'partial':
        if (a?.kind === 'torchClass' && args.length === 1)
          return { kind: 'torchClass', name: a.name, preset: new Map([...a.preset, ...keywords]) };
        if (!a) return unknownValue('functools.partial of nothing');
        return { kind: 'partial', fn: a, args: args.slice(1), keywords: new Map(keywords) };
      case 'getattr':
        if (a && b?.kind === 'string') {
          const value = this.attributeOf(a, b.value);
          if (!(value.kind === 'builtin' && value.name.startsWith('module.'))) return value;
          const has = a.kind === 'module' ? moduleHasAttribute(a.module, b.value) : undefined;
          return has === false
            ? (args[2] ?? unknownValue('a missing attribute'))
            : unknownValue(`the attribute ${b.value} is not statically known`);
        }
        return unknownValue('getattr with an unknown name');
      case 'setattr':
        if (a?.kind === 'module' && b?.kind === 'string' && args[2])
          this.setModuleAttribute(a.module, b.value, args[2]);
        else if (a?.kind === 'module' && !a.module.incomplete)
          a.module.incomplete = 'setattr with a name not statically known';
        return NONE;
      case 'hasattr':
        if (a?.kind === 'module' && b?.kind === 'string') {
          const value = this.attributeOf(a, b.value);
          const has =
            !(value.kind === 'builtin' && value.name.startsWith('module.')) || moduleHasAttribute(a.module, b.value);
          return has === undefined
            ? unknownValue(`whether ${a.module.className} has ${b.value} is not statically known`)
            : { kind: 'bool', value: has };
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
}
