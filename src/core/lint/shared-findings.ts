import type { Diagnostic, Severity } from '../ir/diagnostic';

/** A rule's finding on one model of a file, before findings on code several models share are merged. */
export interface ModelFinding extends Diagnostic {
  /** The model it was found on (the factory, instance or class name). */
  readonly model: string;
  /** What only this model adds ("here it costs +2.17M params"), shown when one model is concerned. */
  readonly detail?: string;
}

/** The finding as reported for its model alone. */
export function withDetail(finding: ModelFinding): Diagnostic {
  return toDiagnostic(finding, finding.message + (finding.detail ?? ''));
}

function toDiagnostic(finding: ModelFinding, message: string): Diagnostic {
  return {
    file: finding.file,
    range: finding.range,
    severity: finding.severity,
    code: finding.code,
    message,
    ...(finding.fix ? { fix: finding.fix } : {}),
  };
}

const SEVERITY_ORDER: readonly Severity[] = ['error', 'warning', 'info', 'hint'];
/** Differing findings of one rule at one place written out in full; the rest are counted. */
const MAX_FORMS = 2;

/** "a", "a and b", "a, b and c", "a, b and 3 more". */
export function nameModels(models: readonly string[]): string {
  if (models.length <= 1) return models[0] ?? '';
  if (models.length <= 3) return `${models.slice(0, -1).join(', ')} and ${models[models.length - 1] ?? ''}`;
  return `${models.slice(0, 2).join(', ')} and ${models.length - 2} more`;
}

function locationKey(d: Diagnostic): string {
  const { start, end } = d.range;
  return `${d.code}:${start.line}:${start.character}:${end.line}:${end.character}`;
}

/**
 * One diagnostic per location and rule. Models built from the same classes (torchvision's resnet18 ...
 * resnet152 share `BasicBlock` and `ResNet`) find the same thing at the same place: it is said once,
 * naming the models. Model-specific details are kept only when they agree; findings of one rule at one
 * place that still differ are joined, each naming its models, so none is lost.
 */
export function mergeSharedFindings(findings: readonly ModelFinding[]): Diagnostic[] {
  const groups = new Map<string, ModelFinding[]>();
  for (const finding of findings) {
    const key = locationKey(finding);
    const group = groups.get(key);
    if (group) group.push(finding);
    else groups.set(key, [finding]);
  }
  return [...groups.values()].map(mergeGroup);
}

function mergeGroup(group: readonly ModelFinding[]): Diagnostic {
  const first = group[0] as ModelFinding;
  if (group.length === 1) return withDetail(first);
  const byMessage = new Map<string, ModelFinding[]>();
  for (const finding of group) {
    const same = byMessage.get(finding.message);
    if (same) same.push(finding);
    else byMessage.set(finding.message, [finding]);
  }
  const forms = [...byMessage.entries()];
  const parts = forms.slice(0, MAX_FORMS).map(([message, same]) => {
    const models = [...new Set(same.map((f) => f.model))];
    const details = new Set(same.map((f) => f.detail ?? ''));
    const detail = details.size === 1 ? ([...details][0] ?? '') : '';
    const named = models.length > 1 || byMessage.size > 1 ? ` (in ${nameModels(models)})` : '';
    return `${message}${detail}${named}`;
  });
  const others = forms.slice(MAX_FORMS);
  if (others.length > 0) {
    const models = [...new Set(others.flatMap(([, same]) => same.map((f) => f.model)))];
    parts.push(`${others.length} more form${others.length > 1 ? 's' : ''} in ${nameModels(models)}`);
  }
  const severity = SEVERITY_ORDER.find((s) => group.some((f) => f.severity === s)) ?? first.severity;
  const withFix = group.find((f) => f.fix) ?? first;
  return { ...toDiagnostic(withFix, parts.join('; ')), severity };
}

/**
 * A finding spanning several lines (a layer built by a call written over ten lines) is shown on its
 * first line only, up to the call's parenthesis: the callee's name, not the whole expression.
 */
export function onFirstLine(d: Diagnostic, lines: readonly string[]): Diagnostic {
  const { start, end } = d.range;
  if (start.line === end.line) return d;
  const line = lines[start.line] ?? '';
  const paren = line.indexOf('(', start.character);
  const stop = paren > start.character ? paren : line.trimEnd().length;
  return { ...d, range: { start, end: { line: start.line, character: Math.max(start.character, stop) } } };
}
