import type { Node } from 'web-tree-sitter';

/** A statement at the module level of a Python file, as the read memo compares them. */
export interface TopLevelStatement {
  readonly text: string;
  readonly startIndex: number;
  readonly startRow: number;
  readonly endRow: number;
  /**
   * `definition`: a plain `def` or `class`, which only binds its name when the module runs.
   * `comment`: a comment or a bare string (a docstring), which changes nothing. `other`: anything else (imports,
   * assignments, decorated
   * definitions, loops), which may bind or change any name.
   */
  readonly kind: 'definition' | 'comment' | 'other';
  readonly name?: string;
  /** 0 for the first statement with this text, 1 for the next... */
  readonly occurrence: number;
}

/** A statement that is only a string literal: the module's docstring or one like it. */
function isDocstring(node: Node): boolean {
  if (node.type !== 'expression_statement' || node.namedChildCount !== 1) return false;
  const type = node.namedChild(0)?.type;
  return type === 'string' || type === 'concatenated_string';
}

/** The module-level statements of a parsed file, with the lookups the read memo needs. */
export class StatementTable {
  readonly statements: readonly TopLevelStatement[];
  /** The `other` statements' texts, joined: when they are unchanged, so is every module-level value they set. */
  readonly othersKey: string;
  private readonly byName = new Map<string, TopLevelStatement[]>();
  private readonly byText = new Map<string, TopLevelStatement[]>();
  private readonly containing = new Map<number, TopLevelStatement | undefined>();

  constructor(root: Node) {
    const statements: TopLevelStatement[] = [];
    const others: string[] = [];
    for (const node of root.namedChildren) {
      if (!node) continue;
      const type = node.type;
      const text = node.text;
      const kind =
        type === 'comment' || isDocstring(node)
          ? 'comment'
          : type === 'function_definition' || type === 'class_definition'
            ? 'definition'
            : 'other';
      const sameText = this.byText.get(text) ?? [];
      const statement: TopLevelStatement = {
        text,
        startIndex: node.startIndex,
        startRow: node.startPosition.row,
        endRow: node.endPosition.row,
        kind,
        name: kind === 'definition' ? node.childForFieldName('name')?.text : undefined,
        occurrence: sameText.length,
      };
      statements.push(statement);
      sameText.push(statement);
      this.byText.set(text, sameText);
      if (statement.name !== undefined)
        this.byName.set(statement.name, [...(this.byName.get(statement.name) ?? []), statement]);
      if (kind === 'other') others.push(text);
    }
    this.statements = statements;
    this.othersKey = others.join('\u0000');
  }

  /** The definitions that bind `name`, in file order (the last one wins when the module runs). */
  definitionsOf(name: string): readonly TopLevelStatement[] {
    return this.byName.get(name) ?? [];
  }

  /** The statement with this text and occurrence, if the file still has it. */
  find(text: string, occurrence: number): TopLevelStatement | undefined {
    return this.byText.get(text)?.[occurrence];
  }

  /** How many statements have this text. */
  countOf(text: string): number {
    return this.byText.get(text)?.length ?? 0;
  }

  /** The top-level statement a node lies in. */
  statementOf(node: Node): TopLevelStatement | undefined {
    if (this.containing.has(node.id)) return this.containing.get(node.id);
    const index = node.startIndex;
    let low = 0;
    let high = this.statements.length - 1;
    let found: TopLevelStatement | undefined;
    while (low <= high) {
      const middle = (low + high) >> 1;
      const statement = this.statements[middle] as TopLevelStatement;
      if (statement.startIndex <= index) {
        found = statement;
        low = middle + 1;
      } else {
        high = middle - 1;
      }
    }
    this.containing.set(node.id, found);
    return found;
  }
}
