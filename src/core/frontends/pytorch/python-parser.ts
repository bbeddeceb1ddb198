import * as path from 'node:path';
import { Language, Parser, type Node, type Tree } from 'web-tree-sitter';
import type { SourceRange } from '../../ir/source';

/**
 * Python parsing with tree-sitter's grammar compiled to WebAssembly (no native build). The
 * parser loads asynchronously once per process; after that, parsing is synchronous.
 */

let parser: Parser | undefined;
let loading: Promise<void> | undefined;

/** Where `tree-sitter.wasm` and `tree-sitter-python.wasm` are: next to the bundle by default (esbuild copies them). */
export function defaultWasmDir(): string {
  return __dirname;
}

export function ensurePythonParser(wasmDir: string = defaultWasmDir()): Promise<void> {
  loading ??= (async () => {
    await Parser.init({ locateFile: (name: string) => path.join(wasmDir, name) });
    const language = await Language.load(path.join(wasmDir, 'tree-sitter-python.wasm'));
    const instance = new Parser();
    instance.setLanguage(language);
    parser = instance;
  })();
  return loading;
}

export function isPythonParserReady(): boolean {
  return parser !== undefined;
}

/** Parses `text`; with `old` (already edited to match), tree-sitter reuses its unchanged parts. */
export function parsePython(text: string, old?: Tree): Tree | undefined {
  return parser?.parse(text, old) ?? undefined;
}

/**
 * LSP ranges count UTF-16 code units; tree-sitter counts bytes. Lines of plain ASCII (nearly all
 * Python) need no conversion.
 */
export class PythonSourceMap {
  private readonly lines: string[];

  constructor(text: string) {
    this.lines = text.split('\n');
  }

  private character(row: number, byteColumn: number): number {
    const line = this.lines[row] ?? '';
    // eslint-disable-next-line no-control-regex
    if (!/[^\x00-\x7f]/.test(line)) return byteColumn;
    return Buffer.from(line, 'utf8').subarray(0, byteColumn).toString('utf8').length;
  }

  private readonly ranges = new Map<number, SourceRange>();

  /** Node positions cross into WebAssembly: each node's range is computed once. */
  range(node: Node): SourceRange {
    let range = this.ranges.get(node.id);
    if (!range) {
      range = this.computeRange(node);
      this.ranges.set(node.id, range);
    }
    return range;
  }

  private computeRange(node: Node): SourceRange {
    return {
      start: {
        line: node.startPosition.row,
        character: this.character(node.startPosition.row, node.startPosition.column),
      },
      end: { line: node.endPosition.row, character: this.character(node.endPosition.row, node.endPosition.column) },
    };
  }

  lineText(row: number): string {
    return this.lines[row] ?? '';
  }
}
