import type { Node, Tree } from 'web-tree-sitter';
import { stampOf, type FileStamp } from './module-loader';
import type { Diagnostic } from '../../ir/diagnostic';
import type { Network } from '../../ir/network';
import { derivedValues, setDerivedValues } from '../../ir/network-memo';
import type { Dependencies } from './dependencies';
import { moveLines } from './move-lines';
import { reparse } from './incremental-parse';
import type { StatementTable, TopLevelStatement } from './top-level-statements';

/** What reading one model candidate (a factory function, a class built with defaults) gave. */
export interface CandidateOutcome {
  readonly diagnostics: readonly Diagnostic[];
  readonly model?: {
    readonly network: Network;
    /** Keys of the user classes in its module tree (see classKey), its own class apart. */
    readonly ownClass: string | undefined;
    readonly classes: readonly string[];
    readonly below: readonly string[];
  };
}

export type CandidateKind = 'factory' | 'class';

/** Where a reused result's positions may point: a statement by text, and its lines then. */
interface Anchor {
  readonly text: string;
  readonly occurrence: number;
  readonly count: number;
  readonly startRow: number;
  readonly endRow: number;
}

interface Entry {
  readonly file: string;
  readonly kind: CandidateKind;
  readonly outcome: CandidateOutcome;
  readonly othersKey: string;
  readonly reads: readonly string[];
  /** For each read name, the texts of the definitions binding it then. */
  readonly bindings: string;
  /** Definitions whose code ran (by text), which must all still be there. */
  readonly executed: readonly Anchor[];
  /** Every statement the outcome's positions may point into, sorted by startRow. */
  readonly anchors: readonly Anchor[];
  /** Module files the read imported: the outcome holds only while none changed on disk. */
  readonly imports: readonly FileStamp[];
}

function anchorOf(statement: TopLevelStatement, table: StatementTable): Anchor {
  return {
    text: statement.text,
    occurrence: statement.occurrence,
    count: table.countOf(statement.text),
    startRow: statement.startRow,
    endRow: statement.endRow,
  };
}

function bindingsOf(reads: readonly string[], table: StatementTable): string {
  return reads
    .map(
      (name) =>
        `${name}=${table
          .definitionsOf(name)
          .map((d) => d.text)
          .join('\u0001')}`,
    )
    .join('\u0002');
}

/**
 * What the PyTorch front end keeps about one document between reads, so a keystroke costs only
 * what it changed (the language server holds one per open document):
 * - the syntax tree, which tree-sitter re-parses incrementally;
 * - each model candidate's outcome with what its evaluation depended on: the module-level
 *   statements other than plain definitions (compared as a whole), the definitions bound to
 *   the names it looked up, and the definitions whose code ran. When all of these are
 *   textually unchanged the outcome is reused, its positions moved with the statements that
 *   hold them. Anything it cannot prove unchanged is evaluated again.
 */
export class PythonReadMemo {
  private tree: Tree | undefined;
  private text: string | undefined;
  private entries = new Map<string, Entry>();
  private next = new Map<string, Entry>();
  /** Candidates reused and evaluated in the last read (tests and benchmarks look). */
  readonly stats = { reused: 0, evaluated: 0 };

  /** Parses `text`, incrementally from the last tree when there is one. */
  parse(text: string, fresh: (text: string, old?: Tree) => Tree | undefined): Tree | undefined {
    const tree = reparse(this.tree, this.text, text, fresh);
    if (tree !== this.tree) this.tree?.delete();
    this.tree = tree;
    this.text = tree ? text : undefined;
    return tree;
  }

  /** Whether this memo owns the tree (the reader must not delete it). */
  owns(tree: Tree): boolean {
    return tree === this.tree;
  }

  /** `othersKey`: the file's module-level statements other than definitions (see StatementTable). */
  begin(othersKey: string): void {
    this.next = new Map();
    this.stats.reused = 0;
    this.stats.evaluated = 0;
    // Facts from syntax may read module-level assignments (a factory's dict of configurations).
    if (othersKey !== this.syntaxOthersKey) this.syntax.clear();
    this.syntaxOthersKey = othersKey;
    this.nextSyntax = new Map();
  }

  /** Keeps only what this read stored: candidates that are gone are forgotten. */
  end(): void {
    this.entries = this.next;
    this.next = new Map();
    this.syntax = this.nextSyntax;
    this.nextSyntax = new Map();
  }

  private syntax = new Map<string, Map<string, { readonly value: unknown }>>();
  private nextSyntax = new Map<string, Map<string, { readonly value: unknown }>>();
  private syntaxOthersKey: string | undefined;

  /**
   * What the reader works out from a module-level statement's text and the module level alone (a
   * definition's required parameters, the models it selects by a string), kept while both are
   * unchanged. `statement` is the text of the statement holding the definition; `question` names the definition and
   * what is asked of it.
   */
  fromSyntax<T>(statement: string, question: string, compute: () => T): T {
    let answers = this.nextSyntax.get(statement);
    if (!answers) {
      answers = this.syntax.get(statement) ?? new Map<string, { readonly value: unknown }>();
      this.nextSyntax.set(statement, answers);
    }
    let known = answers.get(question);
    if (!known) {
      known = { value: compute() };
      answers.set(question, known);
    }
    return known.value as T;
  }

  lookup(
    name: string,
    kind: CandidateKind,
    file: string,
    table: StatementTable,
    text: string,
  ): CandidateOutcome | undefined {
    const entry = this.entries.get(name);
    if (!entry || entry.file !== file || entry.kind !== kind || entry.othersKey !== table.othersKey) return undefined;
    if (
      entry.imports.some((stamp) => {
        const now = stampOf(stamp.file);
        return now.mtimeMs !== stamp.mtimeMs || now.size !== stamp.size;
      })
    )
      return undefined;
    if (bindingsOf(entry.reads, table) !== entry.bindings) return undefined;
    if (entry.executed.some((a) => table.countOf(a.text) !== a.count)) return undefined;
    const moves: { readonly start: number; readonly end: number; readonly delta: number }[] = [];
    for (const anchor of entry.anchors) {
      if (table.countOf(anchor.text) !== anchor.count) return undefined;
      const now = table.find(anchor.text, anchor.occurrence);
      if (!now) return undefined;
      moves.push({ start: anchor.startRow, end: anchor.endRow, delta: now.startRow - anchor.startRow });
    }
    if (!moves.some((m) => m.delta !== 0)) {
      // Nothing moved (a keystroke inside one definition or a comment): the entry stands as it is.
      this.next.set(name, entry);
      this.stats.reused++;
      return entry.outcome;
    }
    const outcome = this.moved(entry.outcome, moves, text);
    if (!outcome) return undefined;
    this.next.set(name, {
      ...entry,
      outcome,
      anchors: entry.anchors.map((a, i) => ({
        ...a,
        startRow: a.startRow + (moves[i]?.delta ?? 0),
        endRow: a.endRow + (moves[i]?.delta ?? 0),
      })),
      executed: entry.executed,
    });
    this.stats.reused++;
    return outcome;
  }

  /**
   * The outcome at its statements' new lines, with what was computed from its network (summary,
   * findings) moved in the same walk so they keep pointing at the moved layers.
   */
  private moved(
    outcome: CandidateOutcome,
    moves: readonly { readonly start: number; readonly end: number; readonly delta: number }[],
    text: string,
  ): CandidateOutcome | undefined {
    const lastLine = Math.max(0, ...moves.map((m) => m.end));
    const UNMAPPED = -1;
    const newLine = new Int32Array(lastLine + 1).fill(UNMAPPED);
    for (const m of moves) for (let line = m.start; line <= m.end; line++) newLine[line] = line + m.delta;
    if (newLine[0] === UNMAPPED) newLine[0] = 0;
    const network = outcome.model?.network;
    const derived = network ? derivedValues(network) : undefined;
    const moved = moveLines(
      { outcome, derived },
      (line) => {
        const to = line <= lastLine ? newLine[line] : UNMAPPED;
        return to === undefined || to === UNMAPPED ? undefined : to;
      },
      text,
    );
    if (!moved) return undefined;
    if (moved.derived && moved.outcome.model) setDerivedValues(moved.outcome.model.network, moved.derived);
    return moved.outcome;
  }

  /**
   * `isLocal` tells the main file's nodes from imported modules' (their statements are not in the
   * table; their files are compared by `imports`).
   */
  store(
    name: string,
    kind: CandidateKind,
    file: string,
    table: StatementTable,
    outcome: CandidateOutcome,
    dependencies: Dependencies,
    imports: readonly FileStamp[] = [],
    isLocal: (node: Node) => boolean = () => true,
  ): void {
    this.stats.evaluated++;
    // A function that assigns module-level names makes evaluations depend on their order.
    if (dependencies.wroteGlobals) return;
    const reads = [...dependencies.reads].sort();
    const executed = new Set<TopLevelStatement>();
    for (const node of dependencies.executed) {
      if (!isLocal(node)) continue;
      const statement = table.statementOf(node);
      if (!statement) return;
      if (statement.kind === 'definition') executed.add(statement);
    }
    const anchored = new Set<TopLevelStatement>(executed);
    for (const name of reads) for (const d of table.definitionsOf(name)) anchored.add(d);
    for (const s of table.statements) if (s.kind === 'other') anchored.add(s);
    const anchors = [...anchored].sort((a, b) => a.startRow - b.startRow).map((s) => anchorOf(s, table));
    this.next.set(name, {
      file,
      kind,
      outcome,
      othersKey: table.othersKey,
      reads,
      bindings: bindingsOf(reads, table),
      executed: [...executed].map((s) => anchorOf(s, table)),
      anchors,
      imports,
    });
  }

  /** Frees the syntax tree (tree-sitter's memory lives in WebAssembly, outside the GC). */
  dispose(): void {
    this.tree?.delete();
    this.tree = undefined;
    this.text = undefined;
    this.entries.clear();
  }
}
