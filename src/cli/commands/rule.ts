import { RULES, ruleByCode, ruleDocMarkdown } from '../../core';
import { UsageError, type CommandIO } from '../io';

export const RULE_USAGE = `Usage: robustness-lens rule CODE | --all

Prints a guideline rule's documentation (the paper's evidence, examples, how to fix).`;

export function runRule(args: readonly string[], io: CommandIO): number {
  const [code] = args;
  if (code === '-h' || code === '--help') {
    io.out(RULE_USAGE);
    return 0;
  }
  if (code === '--all') {
    io.out(RULES.map((r) => `${r.code}  ${r.title.padEnd(62)} guideline ${r.guideline}, ${r.level}`).join('\n'));
    return 0;
  }
  const rule = code ? ruleByCode(code) : undefined;
  if (!rule) throw new UsageError(code ? `no rule "${code}"; rules are RA001..RA018` : 'rule needs a CODE');
  io.out(ruleDocMarkdown(rule));
  return 0;
}
