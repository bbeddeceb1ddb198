import type { Node } from 'web-tree-sitter';
import type { Diagnostic } from '../../ir/diagnostic';
import type { SourceRange } from '../../ir/source';
import type { ReadResult } from '../read-result';
import { Abort, Interpreter } from './interpreter';
import { isPythonParserReady, parsePython, PythonSourceMap } from './python-parser';
import type { PythonReadMemo } from './read-memo';
import { ModuleLoader } from './module-loader';
import type { PythonSearchOptions } from './module-files';
import { GlobalScope } from './dependencies';
import { populateModuleScope } from './evaluator-base';

export interface PythonProgram {
  readonly file: string;
  readonly root: Node;
  readonly map: PythonSourceMap;
  readonly interpreter: Interpreter;
  readonly diagnostics: Diagnostic[];
  readonly origin: SourceRange;
  diagnostic(range: SourceRange, code: string, message: string, severity?: Diagnostic['severity']): Diagnostic;
}

function firstSyntaxError(root: Node): Node | undefined {
  if (root.isError || root.isMissing) return root;
  if (!root.hasError) return undefined;
  for (const child of root.children) {
    if (!child) continue;
    const found = firstSyntaxError(child);
    if (found) return found;
  }
  return root;
}

/**
 * Parses a Python file and evaluates its module level, then hands the program to `read`
 * (which finds the models); syntax errors and evaluation limits become diagnostics.
 */
export function readPythonProgram(
  file: string,
  text: string,
  read: (program: PythonProgram) => ReadResult,
  memo?: PythonReadMemo,
  search?: PythonSearchOptions,
): ReadResult {
  const origin = { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } };
  const diagnostic = (
    range: SourceRange,
    code: string,
    message: string,
    severity: Diagnostic['severity'] = 'error',
  ): Diagnostic => ({ file, range, severity, code, message });
  if (!isPythonParserReady())
    return {
      diagnostics: [diagnostic(origin, 'RL106', 'the Python parser is not loaded (call ensurePythonParser first)')],
    };
  const tree = memo ? memo.parse(text, parsePython) : parsePython(text);
  if (!tree) return { diagnostics: [diagnostic(origin, 'RL101', 'invalid Python: the file could not be parsed')] };
  try {
    const map = new PythonSourceMap(text);
    const error = firstSyntaxError(tree.rootNode);
    if (error) {
      const what = error.isMissing ? `missing ${error.type}` : 'syntax error';
      return {
        diagnostics: [
          diagnostic(
            map.range(error),
            'RL101',
            `invalid Python: ${what} near "${error.text.slice(0, 30).split('\n')[0] ?? ''}"`,
          ),
        ],
      };
    }
    const interpreter = new Interpreter(map);
    if (search) {
      interpreter.loader = new ModuleLoader(
        file,
        search,
        (name) => {
          const scope = new GlobalScope();
          populateModuleScope(scope, name);
          return scope;
        },
        interpreter.runImported,
      );
    }
    try {
      try {
        interpreter.runModule(tree.rootNode);
      } catch (e) {
        if (e instanceof Abort) return { diagnostics: [diagnostic(e.range ?? origin, 'RL107', e.message)] };
        throw e;
      }
      return read({ file, root: tree.rootNode, map, interpreter, diagnostics: [], origin, diagnostic });
    } finally {
      interpreter.loader?.dispose();
    }
  } finally {
    if (!memo?.owns(tree)) tree.delete();
  }
}

/** Required positional parameters of a function definition (self excluded for methods). */
export function requiredParameters(fn: Node, skipSelf: boolean): number {
  const params = (fn.childForFieldName('parameters')?.namedChildren ?? []).filter((p): p is Node => p !== null);
  const plain = params.filter(
    (p) => p.type === 'identifier' || (p.type === 'typed_parameter' && p.namedChildren[0]?.type === 'identifier'),
  );
  return plain.length - (skipSelf ? 1 : 0);
}
