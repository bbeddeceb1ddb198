import type { CodeLens, Hover, InlayHint } from 'vscode-languageserver/node';
import { MarkupKind } from 'vscode-languageserver/node';
import { formatCompact, formatThousands, layerLabel, paramsReport, type ParamsReport } from '../core';
import type { DocumentAnalysis } from './document-analysis';
import { countsByLine } from './line-counts';
import { codeSpan, escapeMarkdown } from './markdown';
import type { ModelSummaryInfo } from './protocol';
import { runLenses } from './run-lenses';

/** What the editor shows for one analysed document: built where the analysis lives. */

function budgetText(total: number, budget: number | undefined): string {
  if (budget === undefined) return `${formatCompact(total)} params`;
  const over = total / budget - 1;
  return (
    `${formatCompact(total)} / ${formatCompact(budget)} budget ` +
    `(${over >= 0 ? '+' : ''}${(100 * over).toFixed(1)}%)`
  );
}

export function codeLensesOf(uri: string, analysis: DocumentAnalysis): CodeLens[] {
  return analysis.summaries.flatMap((summary, i) => {
    const network = summary.network;
    const line = network.source?.start.line ?? 0;
    const total = summary.total.known
      ? budgetText(summary.total.value + summary.nonTrainable, analysis.budgets[i])
      : `at least ${formatCompact(summary.knownParams)} params (some unknown)`;
    const macs = summary.macs.known ? ` · ${(summary.macs.value / 1e9).toFixed(2)} GMACs @${summary.inputSize}` : '';
    // Mid-edit, a syntax error hides the models: the last valid parse's count, said to be that.
    const stale = analysis.stale ? ` at the last valid parse (syntax error on line ${analysis.stale.line + 1})` : '';
    const count: CodeLens = {
      range: { start: { line, character: 0 }, end: { line, character: 0 } },
      command: {
        title: `${network.name}: ${total}${stale || macs}`,
        command: 'robustnessLens.showParameterBreakdown',
        arguments: [uri, network.name],
      },
    };
    return analysis.stale ? [count] : [count, ...runLenses(uri, summary)];
  });
}

export function inlayHintsOf(analysis: DocumentAnalysis, text: string, fromLine: number, toLine: number): InlayHint[] {
  // The last valid parse's lines no longer match the text being edited.
  if (analysis.stale) return [];
  const lines = text.split('\n');
  return countsByLine(analysis.summaries)
    .filter((c) => c.line >= fromLine && c.line <= toLine)
    .map((c) => ({
      position: { line: c.line, character: (lines[c.line] ?? '').replace(/\s+$/, '').length },
      label: c.label,
      paddingLeft: true,
    }));
}

/** The layers a line creates and the guideline findings on it; model text only in code spans or escaped. */
export function hoverOf(analysis: DocumentAnalysis, line: number): Hover | undefined {
  if (analysis.stale) return undefined;
  const entry = countsByLine(analysis.summaries).find((c) => c.line === line);
  if (!entry) return undefined;
  const rows = entry.rows
    .slice(0, 12)
    .map(
      (r) =>
        `| ${codeSpan(r.layer.name, true)} | ${codeSpan(layerLabel(r.layer), true)} ` +
        (`| ${r.params.known ? formatThousands(r.params.value) : '?'} | ` +
          `${r.macs.known ? formatThousands(r.macs.value) : '?'} |`),
    );
  const more = entry.rows.length > 12 ? `\n\n…and ${entry.rows.length - 12} more layers` : '';
  const notes = analysis.diagnostics
    .filter((d) => d.range.start.line === line && d.code.startsWith('RA'))
    .map((d) => `- **${escapeMarkdown(d.code)}** ${escapeMarkdown(d.message)}`);
  return {
    contents: {
      kind: MarkupKind.Markdown,
      value:
        [
          `**${escapeMarkdown(entry.label.replace(/^# /, ''))}**`,
          '',
          '| layer | type | params | MACs |',
          '|---|---|---:|---:|',
          ...rows,
        ].join('\n') +
        more +
        (notes.length > 0 ? `\n\n**Guidelines**\n${notes.join('\n')}` : ''),
    },
  };
}

export function paramsReportsOf(analysis: DocumentAnalysis): ParamsReport[] {
  // The budget in force (setting, file, config), as the lens and the status bar show it.
  return analysis.summaries.map((s, i) => paramsReport(s, analysis.read.diagnostics, analysis.budgets[i] ?? null));
}

export function summaryInfoOf(analysis: DocumentAnalysis): ModelSummaryInfo | null {
  const summary = analysis.summaries[0];
  if (!summary) return null;
  return {
    name: summary.network.name,
    total: summary.total.known && !analysis.stale ? summary.total.value + summary.nonTrainable : null,
    knownParams: summary.knownParams,
    budget: analysis.budgets[0] ?? null,
    models: analysis.summaries.length,
  };
}

/** What lenses and hints show: a change of it makes the editor ask for them again. */
export function shownKey(analysis: DocumentAnalysis | undefined): string {
  if (!analysis) return '';
  return (
    analysis.summaries.map((s) => `${s.network.name}:${s.knownParams}:${s.rows.length}`).join('|') +
    (analysis.stale ? `|stale:${analysis.stale.line}` : '')
  );
}
