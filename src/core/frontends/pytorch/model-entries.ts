import type { Node } from 'web-tree-sitter';

/**
 * Where a file's models come from besides argument-free factories and default-constructible
 * classes, found in its syntax alone: factories whose parameter picks the model by comparing it
 * with string literals (`get_model('ra_wrn101_2')`), and calls in its `__main__` block.
 */

/** More literals than this in one factory are not all read: the user names the ones wanted. */
export const MAX_SELECTOR_LITERALS = 32;

/** One way to call a factory: the argument that selects the model, and the model's name. */
export interface SelectorCall {
  readonly name: string;
  readonly literal: string;
  /** The parameter, passed by keyword when it is not the first. */
  readonly parameter: string;
  readonly positional: boolean;
}

export interface SelectorCalls {
  readonly calls: readonly SelectorCall[];
  /** How many literals were left out past MAX_SELECTOR_LITERALS. */
  readonly omitted: number;
}

interface Parameter {
  readonly name: string;
  readonly required: boolean;
  /** Its default's text, when it has one. */
  readonly defaultText?: string;
}

/** The value of a plain string literal (no f-string, bytes or implicit concatenation), or undefined. */
export function stringLiteral(node: Node): string | undefined {
  if (node.type !== 'string') return undefined;
  const match = /^([rRuU]?)('''|"""|'|")([\s\S]*)\2$/.exec(node.text);
  if (!match) return undefined;
  const raw = match[1]?.toLowerCase() === 'r';
  const body = match[3] ?? '';
  if (raw || !body.includes('\\')) return body;
  const escapes: Record<string, string> = { n: '\n', t: '\t', '\\': '\\', "'": "'", '"': '"' };
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const c = body[i] as string;
    if (c !== '\\') {
      out += c;
      continue;
    }
    const next = escapes[body[i + 1] ?? ''];
    if (next === undefined) return undefined;
    out += next;
    i++;
  }
  return out;
}

/** A string as Python's repr() writes it: single quotes unless the text holds one and no double quote. */
export function pythonRepr(value: string): string {
  const quote = value.includes("'") && !value.includes('"') ? '"' : "'";
  const escaped = value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/\t/g, '\\t');
  return `${quote}${quote === "'" ? escaped.replace(/'/g, "\\'") : escaped}${quote}`;
}

/** A function's parameters that can be passed by position or keyword (`self` included; splats and `*` end it). */
function parametersOf(fn: Node): Parameter[] {
  const out: Parameter[] = [];
  for (const param of fn.childForFieldName('parameters')?.namedChildren ?? []) {
    if (!param) continue;
    switch (param.type) {
      case 'identifier':
        out.push({ name: param.text, required: true });
        break;
      case 'typed_parameter': {
        const inner = param.namedChildren[0];
        if (inner?.type !== 'identifier') return out;
        out.push({ name: inner.text, required: true });
        break;
      }
      case 'default_parameter':
      case 'typed_default_parameter': {
        const name = param.childForFieldName('name')?.text;
        if (!name) return out;
        out.push({ name, required: false, defaultText: param.childForFieldName('value')?.text });
        break;
      }
      case 'positional_separator':
        break;
      default:
        // *args, **kwargs, a bare `*`: what follows is keyword-only or a splat.
        return out;
    }
  }
  return out;
}

/**
 * The string keys of a dict or items of a list, tuple or set written as a literal (`{'a': ...}`,
 * `dict(a=...)`, `('a', 'b')`). Keys that are not plain strings are left out: an integer key
 * cannot be chosen with a string.
 */
function literalKeys(node: Node | null): string[] | undefined {
  if (!node) return undefined;
  switch (node.type) {
    case 'dictionary':
      return node.namedChildren.flatMap((pair) => {
        const key = pair?.type === 'pair' ? pair.childForFieldName('key') : null;
        const text = key ? stringLiteral(key) : undefined;
        return text === undefined ? [] : [text];
      });
    case 'tuple':
    case 'list':
    case 'set':
      return node.namedChildren.flatMap((item) => {
        const text = item ? stringLiteral(item) : undefined;
        return text === undefined ? [] : [text];
      });
    case 'parenthesized_expression':
      return literalKeys(node.namedChildren[0] ?? null);
    case 'call': {
      if (node.childForFieldName('function')?.text !== 'dict') return undefined;
      return (node.childForFieldName('arguments')?.namedChildren ?? []).flatMap((arg) => {
        const name = arg?.type === 'keyword_argument' ? arg.childForFieldName('name')?.text : undefined;
        return name === undefined ? [] : [name];
      });
    }
    default:
      return undefined;
  }
}

/** The literal keys of the collection a name is bound to: last in the function's body, else at its module's top. */
function keysOfName(name: string, body: Node, root: Node): string[] | undefined {
  const assigned = (statements: readonly (Node | null)[]): string[] | undefined => {
    let found: string[] | undefined;
    for (const statement of statements) {
      const inner = statement?.type === 'expression_statement' ? statement.namedChildren[0] : null;
      if (inner?.type !== 'assignment' || inner.childForFieldName('left')?.text !== name) continue;
      found = literalKeys(inner.childForFieldName('right')) ?? found;
    }
    return found;
  };
  return assigned(body.namedChildren) ?? assigned(root.namedChildren);
}

/** `p`, or `p.lower()`/`.upper()`/`.strip()`: the parameter itself, and which literals compared with it fit. */
function parameterUse(node: Node, param: string): ((literal: string) => boolean) | undefined {
  if (node.type === 'identifier') return node.text === param ? () => true : undefined;
  if (node.type !== 'call' || (node.childForFieldName('arguments')?.namedChildCount ?? 1) !== 0) return undefined;
  const fn = node.childForFieldName('function');
  if (fn?.type !== 'attribute' || fn.childForFieldName('object')?.text !== param) return undefined;
  // Passing the literal itself gives the same text only when the method leaves it unchanged.
  switch (fn.childForFieldName('attribute')?.text) {
    case 'lower':
      return (l) => l === l.toLowerCase();
    case 'upper':
      return (l) => l === l.toUpperCase();
    case 'strip':
      return (l) => l === l.trim();
    default:
      return undefined;
  }
}

/** String literals a function's parameter is compared with, looked up by, or tested for membership in. */
export function selectorLiterals(fn: Node, param: string): string[] {
  const body = fn.childForFieldName('body');
  if (!body) return [];
  const root = fn.tree.rootNode;
  const found: string[] = [];
  const add = (texts: readonly string[] | undefined, fits: (literal: string) => boolean = () => true): void => {
    for (const t of texts ?? []) if (fits(t) && !found.includes(t)) found.push(t);
  };
  const keysOf = (node: Node | null): string[] | undefined => {
    if (!node) return undefined;
    return node.type === 'identifier' ? keysOfName(node.text, body, root) : literalKeys(node);
  };
  const stack: Node[] = [body];
  while (stack.length > 0) {
    const node = stack.pop() as Node;
    if (node.type === 'comparison_operator' && node.namedChildCount === 2) {
      const [left, right] = node.namedChildren as [Node, Node];
      const operator = node.children
        .filter((c) => c && !c.isNamed)
        .map((c) => c?.text)
        .join(' ');
      if (['==', '!=', 'is', 'is not'].includes(operator)) {
        const leftUse = parameterUse(left, param);
        const rightUse = parameterUse(right, param);
        if (leftUse)
          add(
            [stringLiteral(right)].filter((t): t is string => t !== undefined),
            leftUse,
          );
        if (rightUse)
          add(
            [stringLiteral(left)].filter((t): t is string => t !== undefined),
            rightUse,
          );
      } else if (operator === 'in' || operator === 'not in') {
        const use = parameterUse(left, param);
        if (use) add(keysOf(right), use);
      }
    } else if (node.type === 'subscript') {
      const index = node.childForFieldName('subscript');
      const use = index ? parameterUse(index, param) : undefined;
      if (use) add(keysOf(node.childForFieldName('value')), use);
    } else if (node.type === 'call') {
      const fn2 = node.childForFieldName('function');
      const first = node.childForFieldName('arguments')?.namedChildren[0];
      const use = first ? parameterUse(first, param) : undefined;
      if (use && fn2?.type === 'attribute' && fn2.childForFieldName('attribute')?.text === 'get') {
        add(keysOf(fn2.childForFieldName('object')), use);
      }
    }
    for (let i = node.namedChildCount - 1; i >= 0; i--) {
      const child = node.namedChild(i);
      if (child) stack.push(child);
    }
  }
  return found;
}

/**
 * The calls that give a function's (or class's, `skipSelf`) models one per selector literal:
 * one parameter compared with string literals, and no other parameter without a default. A
 * literal equal to the parameter's default is the argument-free call, found already.
 */
export function selectorCalls(name: string, fn: Node, skipSelf: boolean): SelectorCalls {
  const params = parametersOf(fn).slice(skipSelf ? 1 : 0);
  const required = params.filter((p) => p.required);
  // The body must compare a parameter or look it up before its syntax is worth walking.
  const bodyText = fn.childForFieldName('body')?.text ?? '';
  const selectors = required.length > 1 ? [] : required.length === 1 ? required : params;
  for (const param of selectors) {
    const p = param.name;
    const compared = new RegExp(
      [
        `\\b${p}\\b(\\.(lower|upper|strip)\\(\\))?\\s*(==|!=|\\bis\\b|\\bin\\b|\\bnot\\s+in\\b)`,
        `(==|!=)\\s*${p}\\b`,
        `\\[\\s*${p}\\b`,
        `\\.get\\(\\s*${p}\\b`,
      ].join('|'),
    );
    if (!compared.test(bodyText)) continue;
    const byDefault = param.defaultText === undefined ? undefined : stringFromText(param.defaultText);
    const literals = selectorLiterals(fn, param.name).filter((l) => l !== byDefault);
    if (literals.length === 0) continue;
    const positional = params[0]?.name === param.name;
    const calls = literals.slice(0, MAX_SELECTOR_LITERALS).map((literal) => ({
      name: `${name}(${positional ? '' : `${param.name}=`}${pythonRepr(literal)})`,
      literal,
      parameter: param.name,
      positional,
    }));
    return { calls, omitted: Math.max(0, literals.length - MAX_SELECTOR_LITERALS) };
  }
  return { calls: [], omitted: 0 };
}

function stringFromText(text: string): string | undefined {
  const match = /^([rRuU]?)('''|"""|'|")([^\\]*)\2$/.exec(text);
  return match ? match[3] : undefined;
}

/** A constant argument as Python's repr() writes it (strings, numbers, True/False/None, tuples and lists of them). */
function constantText(node: Node): string | undefined {
  switch (node.type) {
    case 'string': {
      const value = stringLiteral(node);
      return value === undefined ? undefined : pythonRepr(value);
    }
    case 'integer':
    case 'float':
      return node.text;
    case 'true':
      return 'True';
    case 'false':
      return 'False';
    case 'none':
      return 'None';
    case 'unary_operator': {
      const operand = node.childForFieldName('argument');
      const sign = node.childForFieldName('operator')?.text;
      if (!operand || (sign !== '-' && sign !== '+') || !['integer', 'float'].includes(operand.type)) return undefined;
      return `${sign === '-' ? '-' : ''}${operand.text}`;
    }
    case 'tuple':
    case 'list': {
      const items = node.namedChildren.map((c) => (c ? constantText(c) : undefined));
      if (items.some((i) => i === undefined)) return undefined;
      if (node.type === 'list') return `[${items.join(', ')}]`;
      return items.length === 1 ? `(${items[0] ?? ''},)` : `(${items.join(', ')})`;
    }
    default:
      return undefined;
  }
}

/** `f(1, 'a', k=None)` with every argument a constant: its name in Python's spelling; else undefined. */
export function constantCallName(call: Node): string | undefined {
  if (call.type !== 'call') return undefined;
  const fn = call.childForFieldName('function');
  const args = call.childForFieldName('arguments');
  if (fn?.type !== 'identifier' || args?.type !== 'argument_list') return undefined;
  const parts: string[] = [];
  for (const arg of args.namedChildren) {
    if (!arg || arg.type === 'comment') continue;
    if (arg.type === 'keyword_argument') {
      const value = arg.childForFieldName('value');
      const text = value ? constantText(value) : undefined;
      if (text === undefined) return undefined;
      parts.push(`${arg.childForFieldName('name')?.text ?? ''}=${text}`);
    } else {
      const text = constantText(arg);
      if (text === undefined) return undefined;
      parts.push(text);
    }
  }
  return `${fn.text}(${parts.join(', ')})`;
}

/** Whether a top-level `if` runs only as a script: `if __name__ == "__main__":` either way round. */
function isMainGuard(node: Node): boolean {
  const condition = node.childForFieldName('condition');
  if (condition?.type !== 'comparison_operator' || condition.namedChildCount !== 2) return false;
  const [a, b] = condition.namedChildren;
  const operator = condition.children
    .filter((c) => c && !c.isNamed)
    .map((c) => c?.text)
    .join(' ');
  if (operator !== '==' || !a || !b) return false;
  const reads = (name: Node, literal: Node): boolean =>
    name.text === '__name__' && stringLiteral(literal) === '__main__';
  return reads(a, b) || reads(b, a);
}

/** Calls of a name with constant arguments in the file's `if __name__ == "__main__":` blocks, in order. */
export function mainBlockCalls(root: Node): { readonly node: Node; readonly name: string; readonly callee: string }[] {
  const out: { node: Node; name: string; callee: string }[] = [];
  for (const statement of root.namedChildren) {
    if (statement?.type !== 'if_statement' || !isMainGuard(statement)) continue;
    const consequence = statement.childForFieldName('consequence');
    const stack: Node[] = consequence ? [consequence] : [];
    const calls: Node[] = [];
    while (stack.length > 0) {
      const node = stack.pop() as Node;
      if (node.type === 'function_definition' || node.type === 'class_definition' || node.type === 'lambda') continue;
      if (node.type === 'call') calls.push(node);
      for (let i = node.namedChildCount - 1; i >= 0; i--) {
        const child = node.namedChild(i);
        if (child) stack.push(child);
      }
    }
    for (const call of calls) {
      const name = constantCallName(call);
      const callee = call.childForFieldName('function')?.text;
      if (name === undefined || callee === undefined || out.some((o) => o.name === name)) continue;
      out.push({ node: call, name, callee });
    }
  }
  return out;
}
