import {
  isAlias,
  isMap,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  parseDocument,
  visit,
  type Document,
  type Node,
} from 'yaml';
import type { Diagnostic } from '../ir/diagnostic';
import type { SourceRange } from '../ir/source';

export type PathSegment = string | number;

/**
 * A parsed YAML (or JSON) document that can say where any value came from, so every
 * diagnostic and every layer points at its line.
 */
export class YamlSource {
  readonly document: Document;
  private readonly lines = new LineCounter();

  constructor(
    readonly file: string,
    readonly text: string,
  ) {
    // logLevel 'error': odd but valid YAML (collection keys) must not print process warnings.
    this.document = parseDocument(text, {
      lineCounter: this.lines,
      uniqueKeys: true,
      prettyErrors: false,
      logLevel: 'error',
    });
  }

  /** Syntax errors, as diagnostics with code RL101. */
  syntaxErrors(): Diagnostic[] {
    return this.document.errors.map((error) => ({
      file: this.file,
      range: this.offsetRange(error.pos[0], error.pos[1]),
      severity: 'error' as const,
      code: 'RL101',
      message: `invalid ${this.file.endsWith('.json') ? 'JSON' : 'YAML'}: ${firstLine(error.message)}`,
    }));
  }

  /**
   * The document as plain data. Aliases are where this can fail (an alias before its anchor,
   * alias bombs): that becomes a diagnostic at the first alias instead of an exception.
   */
  toJS(): { value: unknown } | { error: Diagnostic } {
    try {
      return { value: this.document.toJS({ maxAliasCount: 100 }) };
    } catch (error) {
      let range = this.offsetRange(0, 0);
      visit(this.document, {
        Alias: (_key, node) => {
          if (isAlias(node) && node.range) range = this.offsetRange(node.range[0], node.range[1]);
          return visit.BREAK;
        },
      });
      return {
        error: {
          file: this.file,
          range,
          severity: 'error',
          code: 'RL101',
          message: `invalid YAML: ${firstLine((error as Error).message)}`,
        },
      };
    }
  }

  offsetRange(start: number, end: number): SourceRange {
    const s = this.lines.linePos(start);
    const e = this.lines.linePos(Math.max(start, end));
    return {
      start: { line: s.line - 1, character: s.col - 1 },
      end: { line: e.line - 1, character: e.col - 1 },
    };
  }

  /** The node at a path, or undefined. */
  node(path: readonly PathSegment[]): Node | undefined {
    const found = this.document.getIn(path, true);
    return found && typeof found === 'object' && 'range' in found ? (found as Node) : undefined;
  }

  /** Range of the value at `path`; falls back to the nearest ancestor that exists. */
  rangeOf(path: readonly PathSegment[]): SourceRange {
    for (let depth = path.length; depth >= 0; depth--) {
      const node = depth === 0 ? this.document.contents : this.node(path.slice(0, depth));
      if (node?.range) return this.offsetRange(node.range[0], node.range[1]);
    }
    return this.offsetRange(0, 0);
  }

  /** Range of the key `key` in the mapping at `path` (for "unknown key" errors). */
  rangeOfKey(path: readonly PathSegment[], key: string): SourceRange {
    const parent = path.length === 0 ? this.document.contents : this.node(path);
    if (isMap(parent)) {
      for (const item of parent.items) {
        if (isPair(item) && isScalar(item.key) && String(item.key.value) === key && item.key.range) {
          return this.offsetRange(item.key.range[0], item.key.range[1]);
        }
      }
    }
    return this.rangeOf([...path, key]);
  }

  /** Range of a whole `key: value` entry, for a layer that comes from a mapping entry. */
  rangeOfEntry(path: readonly PathSegment[]): SourceRange {
    const key = path[path.length - 1];
    if (typeof key === 'string') {
      const start = this.rangeOfKey(path.slice(0, -1), key).start;
      return { start, end: this.rangeOf(path).end };
    }
    return this.rangeOf(path);
  }

  isSequence(path: readonly PathSegment[]): boolean {
    return isSeq(this.node(path));
  }
}

function firstLine(message: string): string {
  return message.split('\n')[0]?.trim() ?? message;
}
