import { pathToFileURL } from 'node:url';
import { RULES, ruleDocMarkdown, type Diagnostic, type Severity } from '../../core';

/** SARIF 2.1.0 (OASIS), the format code-scanning services ingest. */

const LEVEL: Record<Severity, 'error' | 'warning' | 'note'> = {
  error: 'error',
  warning: 'warning',
  info: 'note',
  hint: 'note',
};

function region(d: Diagnostic): Record<string, number> {
  const end =
    d.range.end.line > d.range.start.line || d.range.end.character > d.range.start.character
      ? d.range.end
      : d.range.start;
  return {
    startLine: d.range.start.line + 1,
    startColumn: d.range.start.character + 1,
    endLine: end.line + 1,
    endColumn: end.character + 1 + (end === d.range.start ? 1 : 0),
  };
}

function location(d: Diagnostic, uri: (file: string) => string): Record<string, unknown> {
  return { physicalLocation: { artifactLocation: { uri: uri(d.file), uriBaseId: 'SRCROOT' }, region: region(d) } };
}

export function toSarif(diagnostics: readonly Diagnostic[], version: string, root: string): Record<string, unknown> {
  const uri = (file: string): string => encodeURI(file.split('\\').join('/'));
  const findings = diagnostics.filter((d) => /^RA\d{3}$/.test(d.code));
  const problems = diagnostics.filter((d) => !/^RA\d{3}$/.test(d.code));
  return {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'robustness-lens',
            semanticVersion: version,
            informationUri: 'https://arxiv.org/abs/2301.03110',
            rules: RULES.map((rule) => ({
              id: rule.code,
              name: rule.name,
              shortDescription: { text: rule.title },
              fullDescription: { text: rule.evidence },
              help: { text: rule.docs.howToFix, markdown: ruleDocMarkdown(rule) },
              defaultConfiguration: { level: LEVEL[rule.defaultSeverity] },
              properties: { guideline: rule.guideline, level: rule.level, tags: ['robustness', 'architecture'] },
            })),
          },
        },
        originalUriBaseIds: { SRCROOT: { uri: `${pathToFileURL(root).href.replace(/\/?$/, '/')}` } },
        invocations: [
          {
            executionSuccessful: problems.every((d) => d.severity !== 'error'),
            toolExecutionNotifications: problems.map((d) => ({
              level: LEVEL[d.severity],
              message: { text: `${d.code} ${d.message}` },
              locations: [location(d, uri)],
            })),
          },
        ],
        results: findings.map((d) => {
          const ruleIndex = RULES.findIndex((r) => r.code === d.code);
          return {
            ruleId: d.code,
            ...(ruleIndex >= 0 ? { ruleIndex } : {}),
            level: LEVEL[d.severity],
            message: { text: d.message },
            locations: [location(d, uri)],
            ...(d.fix
              ? {
                  fixes: [
                    {
                      description: { text: d.fix.title },
                      artifactChanges: [
                        {
                          artifactLocation: { uri: uri(d.file), uriBaseId: 'SRCROOT' },
                          replacements: d.fix.edits.map((e) => ({
                            deletedRegion: {
                              startLine: e.range.start.line + 1,
                              startColumn: e.range.start.character + 1,
                              endLine: e.range.end.line + 1,
                              endColumn: e.range.end.character + 1,
                            },
                            insertedContent: { text: e.newText },
                          })),
                        },
                      ],
                    },
                  ],
                }
              : {}),
          };
        }),
      },
    ],
  };
}
