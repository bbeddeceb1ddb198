import type { Node } from 'web-tree-sitter';
import type { Frame } from './evaluator-base';
import { Operators } from './operators';
import { mapElements } from './tensor-constants';
import { displayString, keyText, stringValue } from './value-ops';
import { asNumber, NONE, num, Scope, truthy, unknownModule, unknownValue, type PyValue } from './values';

/** Expressions: literals, names, containers, comprehensions, subscripts and the operators' dispatch. */
export abstract class Expressions extends Operators {
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
