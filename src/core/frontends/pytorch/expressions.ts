import type { Node } from 'web-tree-sitter';
import { CONTAINERS, EvaluatorBase, isKeras, isKerasLayers, type Frame } from './evaluator-base';
import { isTorchLayerClass } from './torch-layers';
import { findClassAttribute, findMethod } from './classes';
import { elementwise, mapElements } from './tensor-constants';
import { inexactArithmetic, MATH_CONSTANTS } from './python-numbers';
import { compareValues, displayString, exactNumber, keyText, percentFormat, stringValue } from './value-ops';
import {
  asNumber,
  NONE,
  num,
  Scope,
  truthy,
  unknownModule,
  unknownValue,
  type ModuleNode,
  type PyValue,
  type TensorOp,
} from './values';

/** Where PyTorch's quantization stubs (QuantStub, DeQuantStub, FloatFunctional) live. */
const QUANTIZATION_PATH = /^torch\.(ao\.)?(quantization(\.stubs)?|nn\.quantized(\.modules(\.functional_modules)?)?)$/;

/** Expressions, assignment and attribute access. */
export abstract class Expressions extends EvaluatorBase {
  // ---------- assignment ----------

  protected assign(target: Node, value: PyValue, scope: Scope, frame: Frame): void {
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
        targets.forEach((t, i) =>
          this.assign(t, items?.[i] ?? unknownValue('unpacking an unknown value'), scope, frame),
        );
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
          this.markIncomplete(
            frame,
            `a module is stored on "${object.text.slice(0, 60)}", which is not statically known`,
          );
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
        const at =
          key.kind === 'number' && key.isInt && owner.kind === 'list'
            ? key.value < 0
              ? owner.items.length + key.value
              : key.value
            : -1;
        if (owner.kind === 'list' && at >= 0 && at < owner.items.length) owner.items[at] = value;
        else if (owner.kind === 'list')
          owner.tainted ??= `an item assigned at "${index.text.slice(0, 60)}" is not statically known`;
        else if (owner.kind === 'dict' && text !== undefined) owner.entries.set(text, value);
        else if (owner.kind === 'dict')
          owner.tainted ??= `the key "${index.text.slice(0, 60)}" is not statically known`;
        else if (owner.kind === 'module' && value.kind === 'module' && text !== undefined)
          owner.module.children.set(text, value.module);
        else if (owner.kind === 'module') {
          const what =
            text === undefined
              ? `the key "${index.text.slice(0, 60)}" is not statically known`
              : `${owner.module.className}[${text}] is not a module statically known`;
          if (!owner.module.incomplete) owner.module.incomplete = what;
        } else if (value.kind === 'module' || (value.kind === 'unknown' && value.maybeModule)) {
          this.markIncomplete(
            frame,
            `a module is stored in "${object.text.slice(0, 60)}", which is not statically known`,
          );
        }
        return;
      }
      default:
        return;
    }
  }

  /** ModuleList.append/insert: children keyed 0, 1, ... in order (insert renumbers, as PyTorch does). */
  protected addIndexed(module: ModuleNode, child: ModuleNode, at: number | undefined): void {
    const children = [...module.children.values()];
    const index =
      at === undefined ? children.length : Math.max(0, Math.min(children.length, at < 0 ? children.length + at : at));
    children.splice(index, 0, child);
    module.children.clear();
    children.forEach((c, i) => module.children.set(String(i), c));
  }

  setModuleAttribute(module: ModuleNode, name: string, value: PyValue): void {
    // A name not defined (mid-edit, a typo) may be the module meant here: the count is then "at least", never short.
    const lost =
      value.kind === 'unknown' && (value.maybeModule || /^"[\w.]+" is not defined statically$/.test(value.reason));
    if (value.kind === 'unknown' && lost && !module.incomplete) {
      module.incomplete = /^[\w.]+\(\.\.\.\)$/.test(value.reason)
        ? `${name} is ${value.reason}, a class this file does not define: its parameters are unknown`
        : `${name} may be a module not statically known (${value.reason}): its parameters are unknown`;
    }
    if (value.kind === 'module') {
      module.children.set(name, value.module);
      module.attributes.delete(name);
    } else if (value.kind === 'unknown' && module.children.has(name)) {
      // PyTorch keeps (or refuses to replace) the child: which one is not known here.
      module.incomplete ??= `${name} is assigned a value not statically known (${value.reason})`;
      module.attributes.set(name, value);
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
        const value = text.startsWith('0x')
          ? parseInt(text, 16)
          : text.startsWith('0o')
            ? parseInt(text.slice(2), 8)
            : text.startsWith('0b')
              ? parseInt(text.slice(2), 2)
              : Number(text);
        return Number.isSafeInteger(value)
          ? num(value, true)
          : unknownValue('an integer past 2^53, which is not computed exactly here');
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
        return {
          kind: 'list',
          items: this.evalItems(this.kids(node), scope, frame),
          tuple: this.typeOf(node) !== 'list',
        };
      case 'dictionary': {
        const entries = new Map<string, PyValue>();
        for (const item of this.kids(node)) {
          const type = this.typeOf(item);
          if (type === 'comment') continue;
          if (type === 'dictionary_splat') {
            const inner = this.kids(item)[0];
            const spread = inner ? this.eval(inner, scope, frame) : NONE;
            if (spread.kind !== 'dict' || spread.tainted)
              return unknownValue(`the dict **${inner?.text.slice(0, 60) ?? ''} is not statically known`);
            for (const [k, v] of spread.entries) entries.set(k, v);
            continue;
          }
          const key = type === 'pair' ? this.field(item, 'key') : null;
          const value = type === 'pair' ? this.field(item, 'value') : null;
          if (!key || !value) return unknownValue('a dict entry that is not statically known');
          const text = keyText(this.eval(key, scope, frame));
          if (text === undefined)
            return unknownValue(`the dict key "${key.text.slice(0, 60)}" is not statically known`);
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
        if (value.kind === 'number') return op === '-' ? { ...value, value: -value.value } : value;
        if (value.kind === 'array' && value.data && op === '-')
          return mapElements('neg', value, value.data.lib) ?? unknownValue('a negated tensor');
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
        if (t === undefined)
          return unknownModule(`the condition "${condition.text.slice(0, 60)}" is not statically known`);
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
        const current = this.eval(left, scope, frame);
        const operand = this.eval(right, scope, frame);
        // `layers += [block]` extends a ModuleList in place (its __iadd__), as list += does a list.
        if (op === '+' && current.kind === 'module' && current.module.className === 'ModuleList') {
          this.call(
            { kind: 'builtin', name: 'module.extend', self: current },
            [operand],
            new Map(),
            node,
            scope,
            frame,
          );
          return NONE;
        }
        if (op === '+' && current.kind === 'list' && !current.tuple) {
          const items = this.iterate(operand);
          if (Array.isArray(items)) {
            this.checkItems(current.items.length + items.length);
            current.items.push(...items);
          } else current.tainted ??= `extended with "${right.text.slice(0, 60)}", which is not statically known`;
          return NONE;
        }
        this.assign(left, this.arithmetic(op, current, operand, node), scope, frame);
        return NONE;
      }
      case 'lambda':
        return unknownValue('a lambda');
      default:
        return unknownValue(`a ${node.type.replace(/_/g, ' ')}`);
    }
  }

  /** f"layer{i}": literal parts and simple interpolations ({expr}, {expr:d}); anything else is unknown. */
  protected fString(node: Node, scope: Scope, frame: Frame): PyValue {
    let out = '';
    for (const child of node.children) {
      if (!child) continue;
      const type = this.typeOf(child);
      if (type === 'string_content' || type === 'escape_sequence') out += child.text;
      else if (type === 'interpolation') {
        const expression = this.field(child, 'expression') ?? this.kids(child)[0];
        if (!expression || this.field(child, 'format_specifier') || this.field(child, 'type_conversion'))
          return unknownValue('an f-string with formatting');
        const value = this.eval(expression, scope, frame);
        const text = displayString(value);
        if (text === undefined) return unknownValue('an f-string of an unknown value');
        this.checkString(out.length + text.length);
        out += text;
      }
    }
    return { kind: 'string', value: out };
  }

  protected evalItems(nodes: readonly (Node | null)[], scope: Scope, frame: Frame): PyValue[] {
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

  protected comprehension(node: Node, scope: Scope, frame: Frame): PyValue {
    const body = this.field(node, 'body');
    const clauses = this.kids(node).filter(
      (c): c is Node => c !== null && (this.typeOf(c) === 'for_in_clause' || this.typeOf(c) === 'if_clause'),
    );
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
    return run(0)
      ? { kind: 'list', items: results, tuple: false }
      : unknownValue('a comprehension over an unknown value');
  }

  protected subscript(object: PyValue, index: Node, scope: Scope, frame: Frame): PyValue {
    if (this.typeOf(index) === 'slice') {
      if (object.kind !== 'list') return unknownValue('a slice of an unknown value');
      const parts = this.kids(index)
        .filter((c): c is Node => c !== null)
        .map((c) => asNumber(this.eval(c, scope, frame)));
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
    if (object.kind === 'dict' && keyText(key) !== undefined)
      return object.entries.get(keyText(key) as string) ?? unknownValue(object.tainted ?? 'a missing key');
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

  protected binary(node: Node, scope: Scope, frame: Frame): PyValue {
    const left = this.field(node, 'left');
    const right = this.field(node, 'right');
    const op = this.field(node, 'operator')?.text ?? '';
    if (!left || !right) return unknownValue('a binary operation');
    return this.arithmetic(op, this.eval(left, scope, frame), this.eval(right, scope, frame), node);
  }

  arithmetic(op: string, l: PyValue, r: PyValue, node: Node): PyValue {
    if ((l.kind === 'array' && l.data) || (r.kind === 'array' && r.data)) {
      const computed = elementwise(op, l, r);
      if (computed) return computed;
    }
    if (l.kind === 'array' || r.kind === 'array') {
      // Element-wise with a number, or with a tensor of the same shape: the shape stays.
      const scalar = (v: PyValue): boolean => v.kind === 'number' || v.kind === 'bool';
      if (
        ['+', '-', '*', '/'].includes(op) &&
        (scalar(l) || scalar(r) || (l.kind === 'array' && r.kind === 'array' && l.shape.join() === r.shape.join()))
      ) {
        return l.kind === 'array' ? l : r;
      }
      return unknownValue(`${op} on tensors of shapes not statically known`);
    }
    if (l.kind === 'tensor' || r.kind === 'tensor') {
      const branches = [l, r]
        .filter((v): v is { kind: 'tensor'; ops: TensorOp[] } => v.kind === 'tensor')
        .map((v) => v.ops);
      const source = this.rangeOf(node);
      if (op === '+') return { kind: 'tensor', ops: [{ kind: 'add', branches, source }] };
      if (op === '*') return { kind: 'tensor', ops: [{ kind: 'mul', branches, source }] };
      return l.kind === 'tensor' ? l : r;
    }
    if ((l.kind === 'number' && l.err) || (r.kind === 'number' && r.err)) {
      const inexact = inexactArithmetic(op, l, r);
      if (inexact) return inexact;
    }
    if ((l.kind === 'number' || l.kind === 'bool') && (r.kind === 'number' || r.kind === 'bool')) {
      const a = asNumber(l) as number;
      const b = asNumber(r) as number;
      const ints = (l.kind === 'bool' || l.isInt) && (r.kind === 'bool' || r.isInt);
      switch (op) {
        case '+':
          return exactNumber(a + b, ints);
        case '-':
          return exactNumber(a - b, ints);
        case '*':
          return exactNumber(a * b, ints);
        case '/':
          return b === 0 ? unknownValue('a division by zero') : num(a / b, false);
        case '//':
          return b === 0 ? unknownValue('a division by zero') : exactNumber(Math.floor(a / b), ints);
        case '%':
          return b === 0 ? unknownValue('a division by zero') : exactNumber(((a % b) + b) % b, ints);
        case '**':
          return exactNumber(a ** b, ints && b >= 0);
        case '<<':
          return ints && b >= 0 ? exactNumber(a * 2 ** b, true) : unknownValue(`the operator ${op}`);
        case '>>':
          return ints && b >= 0 ? exactNumber(Math.floor(a / 2 ** b), true) : unknownValue(`the operator ${op}`);
        default:
          return unknownValue(`the operator ${op}`);
      }
    }
    if (op === '+' && l.kind === 'list' && r.kind === 'list' && l.tuple === r.tuple) {
      this.checkItems(l.items.length + r.items.length);
      return { kind: 'list', items: [...l.items, ...r.items], tuple: l.tuple };
    }
    const times = (v: PyValue): number | undefined =>
      v.kind === 'number' && v.isInt ? v.value : v.kind === 'bool' ? Number(v.value) : undefined;
    if (op === '*' && (l.kind === 'list' || r.kind === 'list')) {
      const list = l.kind === 'list' ? l : r;
      const count = times(l.kind === 'list' ? r : l);
      if (list.kind !== 'list' || count === undefined)
        return unknownValue('a list repeated an unknown number of times');
      const copies = Math.max(0, count);
      this.checkItems(list.items.length * copies);
      const items: PyValue[] = [];
      for (let i = 0; i < copies; i++) items.push(...list.items);
      return { kind: 'list', items, tuple: list.tuple };
    }
    if (op === '*' && (l.kind === 'string' || r.kind === 'string')) {
      const text = l.kind === 'string' ? l : r;
      const count = times(l.kind === 'string' ? r : l);
      if (text.kind !== 'string' || count === undefined)
        return unknownValue('a string repeated an unknown number of times');
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
    return unknownValue(
      `${op} on ${l.kind === 'unknown' ? l.reason : l.kind} and ${r.kind === 'unknown' ? r.reason : r.kind}`,
    );
  }

  protected compare(node: Node, scope: Scope, frame: Frame): PyValue {
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

  /** A name of a module: from its file when imports are followed, else a name we do not know. */
  private moduleAttribute(modulePath: string, name: string): PyValue {
    const path = `${modulePath}.${name}`;
    const loaded = this.loader?.module(modulePath);
    if (!loaded) return { kind: 'namespace', path };
    const value = loaded.scope.vars.get(name);
    if (value) return value;
    if (this.loader?.exists(path)) return { kind: 'namespace', path };
    if (loaded.state === 'failed') return unknownModule(`${path} is not known (${loaded.reason ?? ''})`);
    if (loaded.state === 'loading')
      return unknownModule(`${path} is not defined yet where it is imported (a circular import)`);
    return unknownModule(`${path} is not defined in ${loaded.file}`);
  }

  attributeOf(object: PyValue, name: string): PyValue {
    switch (object.kind) {
      case 'namespace': {
        const path = `${object.path}.${name}`;
        if (
          /^torch\.nn(\.modules(\.[a-z_]+)?)?$/.test(object.path) ||
          object.path === 'torchvision.ops' ||
          object.path === 'torchvision.ops.misc' ||
          QUANTIZATION_PATH.test(object.path)
        ) {
          if (
            isTorchLayerClass(name) ||
            CONTAINERS.has(name) ||
            name === 'SqueezeExcitation' ||
            name === 'Conv2dNormActivation'
          ) {
            return { kind: 'torchClass', name, preset: new Map() };
          }
        }
        if (path === 'collections.OrderedDict' || path === 'functools.partial')
          return { kind: 'builtin', name: path.split('.')[1] ?? path };
        // typing.OrderedDict is callable too: it makes a collections.OrderedDict.
        if (path === 'typing.OrderedDict') return { kind: 'builtin', name: 'OrderedDict' };
        if (object.path === 'math' && MATH_CONSTANTS[name] !== undefined)
          return num(MATH_CONSTANTS[name] as number, false);
        if (isKerasLayers(object.path) && name === 'Input') return { kind: 'builtin', name: 'keras.Input' };
        if (isKerasLayers(object.path) && /^[A-Z]/.test(name)) return { kind: 'kerasClass', name };
        if (isKeras(object.path) && ['Sequential', 'Model', 'Input'].includes(name))
          return { kind: 'builtin', name: `keras.${name}` };
        return this.moduleAttribute(object.path, name);
      }
      case 'module': {
        const child = object.module.children.get(name);
        if (child) return { kind: 'module', module: child };
        const attr = object.module.attributes.get(name);
        if (attr) return attr;
        const method = object.module.userClass ? findMethod(object.module.userClass, name) : undefined;
        if (method?.binding === 'static') return { kind: 'function', fn: method };
        if (method?.binding === 'class' && object.module.userClass)
          return { kind: 'function', fn: method, first: { kind: 'userClass', cls: object.module.userClass } };
        if (method) return { kind: 'bound', self: object.module, fn: method };
        const classAttr = object.module.userClass ? findClassAttribute(object.module.userClass, name) : undefined;
        if (classAttr) return classAttr;
        return { kind: 'builtin', name: `module.${name}`, self: object };
      }
      case 'userClass': {
        const attribute = findClassAttribute(object.cls, name);
        if (attribute) return attribute;
        const method = findMethod(object.cls, name);
        if (method) return { kind: 'function', fn: method, ...(method.binding === 'class' ? { first: object } : {}) };
        return unknownModule(
          `${object.cls.name}.${name}${object.cls.unresolvedBase ? ` (${object.cls.unresolvedBase})` : ''}`,
        );
      }
      case 'array':
        if (name === 'shape' || name === 'ndim') {
          const dims = object.shape.map((d) => num(d, true));
          return name === 'shape' ? { kind: 'list', items: dims, tuple: true } : num(dims.length, true);
        }
        return { kind: 'builtin', name: `array.${name}`, self: object };
      case 'list':
      case 'dict':
      case 'tensor':
      case 'string':
      case 'kerasModel':
        return { kind: 'builtin', name: `${object.kind}.${name}`, self: object };
      case 'super':
        return { kind: 'builtin', name: `super.${name}`, self: object };
      default:
        return unknownValue(
          `the attribute ${name} of ${object.kind === 'unknown' ? object.reason : `a ${object.kind}`}`,
        );
    }
  }

  protected abstract evalCall(node: Node, scope: Scope, frame: Frame): PyValue;

  abstract call(
    callee: PyValue,
    positional: PyValue[],
    keywords: Map<string, PyValue>,
    node: Node,
    scope: Scope,
    frame: Frame,
  ): PyValue;
}
