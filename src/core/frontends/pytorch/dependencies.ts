import type { Node } from 'web-tree-sitter';
import { Scope, type PyValue } from './values';

/**
 * What one evaluation touched: the module-level names it looked up and the functions and
 * classes whose code it ran. The language server reuses a model's result after a keystroke
 * only when none of these changed (see candidate-memo.ts).
 */
export interface Dependencies {
  readonly reads: Set<string>;
  readonly executed: Set<Node>;
  /** A function assigned a module-level name (`global x`): later evaluations could see it. */
  wroteGlobals: boolean;
}

export function noDependencies(): Dependencies {
  return { reads: new Set(), executed: new Set(), wroteGlobals: false };
}

export function mergeDependencies(into: Dependencies, from: Dependencies): void {
  for (const name of from.reads) into.reads.add(name);
  for (const node of from.executed) into.executed.add(node);
  if (from.wroteGlobals) into.wroteGlobals = true;
}

/** The module scope: lookups that reach it are recorded while a recording is active. */
export class GlobalScope extends Scope {
  recording: Dependencies | undefined;

  override get(name: string): PyValue | undefined {
    this.recording?.reads.add(name);
    return super.get(name);
  }
}
