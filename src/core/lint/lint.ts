import { designFromNetwork } from '../whatif/design-from-network';
import type { Diagnostic } from '../ir/diagnostic';
import type { Network } from '../ir/network';
import { NetworkMemo } from '../ir/network-memo';
import { networksOf, type ReadResult } from '../frontends/read-result';
import { summarize } from '../params/summary';
import { isRuleEnabled, type LintConfig } from '../config/lint-config';
import { RULES } from '../rules/registry';
import type { RuleContext } from '../rules/rule';
import { mergeSharedFindings, onFirstLine, withDetail, type ModelFinding } from './shared-findings';
import { parseSuppressions, type Suppressions } from './suppression';

export interface LintOptions {
  readonly config?: LintConfig;
  /** A budget that overrides the file's own (`--budget`, the editor setting). */
  readonly budgetOverride?: number;
}

/** The budget in force: an explicit override, else the model file's own, else the config's. */
export function budgetInForce(network: Network, options: LintOptions): number | undefined {
  return options.budgetOverride ?? network.budget?.params ?? options.config?.budget;
}

/** Runs the enabled guideline rules on a network; `text` is its file, for suppression comments. */
export function lintNetwork(network: Network, text: string, options: LintOptions = {}): Diagnostic[] {
  const lines = text.split('\n');
  return lintWithSuppressions(network, parseSuppressions(text), options).map((d) => onFirstLine(withDetail(d), lines));
}

/**
 * Rule findings per network object and options: the language server reuses the networks of
 * definitions a keystroke did not touch, and their findings with them. Suppressions are applied
 * afterwards because they live in the text, which every keystroke changes.
 */
const findingsMemo = new NetworkMemo<{ readonly key: string; readonly findings: readonly ModelFinding[] }>('findings');

function lintWithSuppressions(network: Network, suppressions: Suppressions, options: LintOptions): ModelFinding[] {
  if (suppressions.file) return [];
  const key = JSON.stringify([options.config ?? {}, options.budgetOverride ?? null]);
  let memo = findingsMemo.get(network);
  if (memo?.key !== key) {
    memo = { key, findings: runRules(network, options) };
    findingsMemo.set(network, memo);
  }
  return memo.findings.filter((d) => !suppressions.isSuppressed(d.range.start.line, d.code));
}

function runRules(network: Network, options: LintOptions): ModelFinding[] {
  const config = options.config ?? {};
  const total = summarize(network).total;
  const context: RuleContext = {
    network,
    budget: budgetInForce(network, options),
    params: total.known ? total.value : undefined,
    design: designFromNetwork(network),
  };
  const diagnostics: ModelFinding[] = [];
  for (const rule of RULES) {
    if (!isRuleEnabled(rule.code, config)) continue;
    for (const finding of rule.check(context)) {
      diagnostics.push({
        file: network.file,
        range: finding.range,
        severity: config.severity?.[rule.code] ?? finding.severity ?? rule.defaultSeverity,
        code: rule.code,
        message: finding.message,
        ...(finding.fix ? { fix: finding.fix } : {}),
        model: network.name,
        ...(finding.detail ? { detail: finding.detail } : {}),
      });
    }
  }
  return diagnostics.sort(byPosition);
}

/** Front-end diagnostics of a read file plus the guideline findings on its networks, one per location and rule. */
export function lintReadResult(read: ReadResult, text: string, options: LintOptions = {}): Diagnostic[] {
  const suppressions = parseSuppressions(text);
  const findings = networksOf(read).flatMap((network) => lintWithSuppressions(network, suppressions, options));
  const lines = text.split('\n');
  return [
    ...read.diagnostics,
    ...mergeSharedFindings(findings)
      .map((d) => onFirstLine(d, lines))
      .sort(byPosition),
  ];
}

function byPosition(a: Diagnostic, b: Diagnostic): number {
  return (
    a.range.start.line - b.range.start.line ||
    a.range.start.character - b.range.start.character ||
    a.code.localeCompare(b.code)
  );
}
