import type { Node } from 'web-tree-sitter';
import type { Frame } from './evaluator-base';
import { Assignment } from './assignment';
import { elementwise } from './tensor-constants';
import { inexactArithmetic } from './python-numbers';
import { compareValues, exactNumber, percentFormat } from './value-ops';
import { asNumber, NONE, num, unknownValue, type PyValue, type Scope, type TensorOp } from './values';

/** Binary operators and comparisons: numbers exactly, lists, strings, constant arrays and traced tensors. */
export abstract class Operators extends Assignment {
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
}
