import type { Node, Tree } from 'web-tree-sitter';
import { parsePython } from './python-parser';
import { constantCallName } from './model-entries';

/** Models the user names as Python expressions (`--model "get_model('ra_wrn70_16')"`, `models = [...]`). */
export interface NamedModels {
  readonly expressions: readonly string[];
  /** Where they were given, for messages: `--model`, or the config file's path. */
  readonly from: string;
  /**
   * Given for this file (the CLI's --model): an expression naming something the file does not
   * define is an error. A project setting (the config's `models`) applies only to the files
   * that define what it names; the others keep the models found in them.
   */
  readonly strict: boolean;
}

/** Longer than any model name a person writes: refused before parsing. */
export const MAX_MODEL_EXPRESSION = 500;

/** One user-named model, parsed: its expression node lives in `tree`, which the caller deletes. */
export interface ParsedModelExpression {
  readonly text: string;
  /** `get_model('ra_wrn70_16')` in Python's spelling when it is a call with constant arguments, else the text. */
  readonly name: string;
  /** The first name it reads (`get_model`), which the file must define. */
  readonly root: string;
  readonly node: Node;
  readonly tree: Tree;
}

/** Parses one expression, or says why it is not one. */
export function parseModelExpression(text: string): ParsedModelExpression | { readonly problem: string } {
  const trimmed = text.trim();
  if (trimmed.length === 0) return { problem: 'the model expression is empty' };
  if (trimmed.length > MAX_MODEL_EXPRESSION) {
    return { problem: `the model expression is longer than ${MAX_MODEL_EXPRESSION} characters` };
  }
  if (/[\r\n]/.test(trimmed)) return { problem: 'the model expression must be on one line' };
  const tree = parsePython(trimmed);
  if (!tree) return { problem: 'the Python parser is not loaded' };
  const statements = tree.rootNode.namedChildren;
  const statement = statements.length === 1 ? statements[0] : null;
  const single = statement?.type === 'expression_statement' && statement.namedChildCount === 1;
  const node = single ? statement.namedChildren[0] : null;
  if (tree.rootNode.hasError || !node) {
    tree.delete();
    return { problem: `"${trimmed.slice(0, 80)}" is not a Python expression` };
  }
  let first: Node | null = node;
  while (first && first.type !== 'identifier') {
    if (first.type === 'call') first = first.childForFieldName('function');
    else if (first.type === 'attribute') first = first.childForFieldName('object');
    else if (first.type === 'subscript') first = first.childForFieldName('value');
    else first = null;
  }
  if (!first) {
    tree.delete();
    const example = "write e.g. get_model('name')";
    return { problem: `"${trimmed.slice(0, 80)}" does not start with a name the file defines (${example})` };
  }
  return { text: trimmed, name: constantCallName(node) ?? trimmed.replace(/\s+/g, ' '), root: first.text, node, tree };
}

/** The expressions of `named`, parsed once for a read; `dispose` frees their syntax trees after it. */
export function parseNamedModels(named: NamedModels): {
  readonly entries: readonly (ParsedModelExpression | { readonly text: string; readonly problem: string })[];
  dispose(): void;
} {
  const entries = named.expressions.map((text) => {
    const parsed = parseModelExpression(text);
    return 'problem' in parsed ? { text, problem: parsed.problem } : parsed;
  });
  return {
    entries,
    dispose: () => {
      for (const entry of entries) if ('tree' in entry) entry.tree.delete();
    },
  };
}
