import type { ResidualDesign } from '../build/residual-design';
import type { Fix, Severity } from '../ir/diagnostic';
import type { Network } from '../ir/network';
import type { SourceRange } from '../ir/source';

/** The level of the design a guideline judges, as the RobArch paper groups them. */
export type RuleLevel = 'network' | 'stage' | 'block' | 'layer' | 'scaling';

export interface RuleFinding {
  readonly range: SourceRange;
  /**
   * The finding first, from a capital, under ~160 characters; the evidence is on the rule's page.
   * It should hold for every model built from the code at `range` (a shared block class).
   */
  readonly message: string;
  /** What holds only for this model ("; here it costs +2.17M params"), dropped when models sharing the code differ. */
  readonly detail?: string;
  readonly fix?: Fix;
  /** Softer than the rule's default, e.g. `info` for what the rule could not judge fully. */
  readonly severity?: Severity;
}

export interface RuleContext {
  readonly network: Network;
  /** The parameter budget in force (CLI, the file, settings, config), if any. */
  readonly budget?: number;
  /** Exact parameter count of the network, when every layer's count is known. */
  readonly params?: number;
  /** The network's design when its facts are complete, for counting variants. */
  readonly design?: ResidualDesign;
}

export interface RuleDocs {
  /** What the rule checks, one paragraph. */
  readonly checks: string;
  /** A spec snippet that raises the rule. */
  readonly fails: string;
  /** The same snippet, fixed. */
  readonly passes: string;
  readonly howToFix: string;
}

/**
 * One RobArch guideline as a lint rule (Ruff's layout: the check, its metadata and its
 * documentation live together; docs/rules/RA0NN.md is generated from them).
 */
export interface Rule {
  /** `RA0NN` for guideline NN. */
  readonly code: string;
  readonly guideline: number;
  /** Short kebab-case name, e.g. `activation-function`. */
  readonly name: string;
  readonly title: string;
  readonly level: RuleLevel;
  /** The IR facts the rule reads; when one is unknown the rule stays silent. */
  readonly facts: readonly string[];
  readonly defaultSeverity: Severity;
  /** What the paper found and measured, as the guidelines document states it. */
  readonly evidence: string;
  readonly fixable: 'always' | 'sometimes' | 'never';
  readonly docs: RuleDocs;
  check(context: RuleContext): RuleFinding[];
}
