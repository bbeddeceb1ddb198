import { parseArgs } from 'node:util';
import {
  internalErrorDiagnostic,
  formatCompact,
  networksOf,
  formatThousands,
  paramsReport,
  impliedInputSize,
  summarize,
  type ForwardGraphCheck,
  type ModelSummary,
  type Network,
  valueOf,
  type ParamsReport,
} from '../../core';
import { formatDiagnostic } from '../diagnostics';
import { readModelFromDisk } from '../read-file';
import { namedModels } from '../named-models';
import { budgetOption, positiveIntegerOption } from '../options';
import { countWithPyTorch, residualAdds, type ForwardGraph } from '../../engine/pytorch/exact-count';
import { inspectModelScript } from '../python-script';
import { renderTable } from '../table';
import { UsageError, type CommandIO } from '../io';

export const PARAMS_USAGE = `Usage: robustness-lens params FILE... [options]

Per-layer parameter counts (exactly what PyTorch's parameters() sums; Keras models
also show their non-trainable weights) and multiply-accumulates, per-stage and total,
for architecture specs (*.arch.yaml, *.arch.json), RobArch model configs (Hydra YAML),
PyTorch and Keras Python files (read statically) and TF.js model.json files.

Options:
  --input N          input image size in pixels per side, for MACs (default: the model's, else 224)
  --json             print a JSON object for one model (an array for several models)
  --summary          one line per file instead of the layer table
  --budget N         parameter budget to compare with (26M, 26000000); overrides the file's
  --num-classes N    classes of the head when a RobArch config leaves num_classes to Hydra
  --exact            also run PyTorch model files under real PyTorch and compare (this
                     executes the file: use it only on code you trust)
  --python PATH      the Python with torch for --exact (default python3)
  --python-path DIR  where a Python file's imports are looked for besides its own package
                     (site-packages, a checkout); repeatable. Files found are read, never run
  --model EXPR       the model of a Python file to count, as a Python expression on what the
                     file defines: --model "get_model('ra_wrn70_16')"; repeatable. Without it,
                     the \`models\` list of robustness-lens.toml applies, else the models found
  -h, --help         show this help`;

function budgetLine(summary: ModelSummary, budgetOverride: number | undefined): string {
  const budget = budgetOverride ?? summary.network.budget?.params;
  if (budget === undefined) return '';
  const share = summary.knownParams / budget - 1;
  const sign = share >= 0 ? '+' : '';
  return `budget ${formatCompact(budget)}: ${(100 * (share + 1)).toFixed(1)}% (${sign}${(100 * share).toFixed(1)}%)`;
}

function totalText(summary: ModelSummary): string {
  if (summary.total.known && summary.nonTrainable > 0) {
    const all = summary.total.value + summary.nonTrainable;
    return (
      `${formatThousands(all)} (${formatCompact(all)}; trainable ` +
      `${formatThousands(summary.total.value)}, non-trainable ` +
      `${formatThousands(summary.nonTrainable)})`
    );
  }
  if (summary.total.known) return `${formatThousands(summary.total.value)} (${formatCompact(summary.total.value)})`;
  return `at least ${formatThousands(summary.knownParams)} (some layers are unknown: ${summary.total.reason})`;
}

function renderSummaryLine(summary: ModelSummary, budget: number | undefined): string {
  const macs = summary.macs.known
    ? `${(summary.macs.value / 1e9).toFixed(2)} GMACs @${summary.inputSize}`
    : 'MACs unknown';
  return [
    summary.network.name.padEnd(12),
    totalText(summary).padEnd(26),
    macs.padEnd(18),
    budgetLine(summary, budget),
    summary.network.file,
  ]
    .filter(Boolean)
    .join('  ');
}

function renderFull(summary: ModelSummary, report: ParamsReport, budget: number | undefined): string {
  const n = (v: number | null): string => (v === null ? '?' : formatThousands(v));
  const layerTable = renderTable(
    ['Layer', 'Type', 'Output shape', 'Params', 'MACs', 'Line'],
    report.layers.map((l) => [l.name, l.type, l.output, n(l.params), n(l.macs), l.line === null ? '' : String(l.line)]),
    new Set([3, 4, 5]),
  );
  const partTable = renderTable(
    ['Part', 'Params', 'MACs'],
    report.parts.map((p) => [p.name, n(p.params), n(p.macs)]),
    new Set([1, 2]),
  );
  const lines = [
    `${summary.network.name} (${summary.network.file}, ${summary.network.format}, input ` +
      `${summary.network.inputChannels}x${summary.inputSize}x${summary.inputSize})`,
    '',
    layerTable,
    '',
    partTable,
    '',
    `Total params: ${totalText(summary)}`,
    `MACs: ${macsText(summary)}`,
  ];
  const budgetText = budgetLine(summary, budget);
  if (budgetText) lines.push(`Budget: ${budgetText}`);
  return lines.join('\n');
}

export function runParams(args: readonly string[], io: CommandIO): number {
  const { values, positionals } = parseArgs({
    args: [...args],
    allowPositionals: true,
    options: {
      input: { type: 'string' },
      json: { type: 'boolean', default: false },
      summary: { type: 'boolean', default: false },
      budget: { type: 'string' },
      'num-classes': { type: 'string' },
      exact: { type: 'boolean', default: false },
      'python-path': { type: 'string', multiple: true },
      model: { type: 'string', multiple: true },
      python: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    io.out(PARAMS_USAGE);
    return 0;
  }
  if (positionals.length === 0) throw new UsageError('params needs at least one FILE');
  const inputSize = positiveIntegerOption('input', values.input);
  const numClasses = positiveIntegerOption('num-classes', values['num-classes']);
  const budget = budgetOption(values.budget);

  let failed = false;
  const reports: ParamsReport[] = [];
  const texts: string[] = [];
  for (const file of positionals) {
    // A file that makes a reader or the counter throw is reported at its start; the rest go on.
    try {
      const models = namedModels(file, values.model);
      const python = { searchPath: values['python-path'] ?? [] };
      const { result } = readModelFromDisk(file, { numClasses, python, ...(models ? { models } : {}) });
      for (const d of result.diagnostics) {
        if (d.severity === 'error') failed = true;
        if (d.severity === 'error' || !values.json) io.err(formatDiagnostic(d));
      }
      const networks = networksOf(result);
      const exact =
        values.exact && networks[0]?.format === 'pytorch'
          ? countWithPyTorch(
              file,
              networks.map((n) => n.name),
              { python: values.python, script: inspectModelScript() },
            )
          : undefined;
      if (exact?.failure) io.err(`${file}: --exact: ${exact.failure}`);
      for (const network of networks) {
        const summary = summarize(network, inputSize ?? impliedInputSize(network)?.size ?? 224);
        const report = paramsReport(summary, result.diagnostics);
        if (budget !== undefined) report.budget = { params: budget, used: summary.knownParams / budget };
        const measured = exact?.models[network.name];
        if (exact && !exact.failure) {
          report.exact = measured
            ? {
                total: measured.total,
                torch: exact.torch ?? '',
                matchesStatic: summary.total.known && summary.total.value === measured.total,
                ...(measured.fx ? { fx: forwardGraphCheck(measured.fx, network) } : {}),
              }
            : {
                total: null,
                torch: exact.torch ?? '',
                matchesStatic: false,
                error: exact.errors[network.name] ?? 'not instantiated',
              };
        }
        reports.push(report);
        let text = values.summary ? renderSummaryLine(summary, budget) : renderFull(summary, report, budget);
        if (report.exact) {
          text +=
            report.exact.total === null
              ? `\n  PyTorch ${report.exact.torch}: could not instantiate (${report.exact.error ?? ''})`
              : `\n  PyTorch ${report.exact.torch}: ${formatThousands(report.exact.total)} ` +
                `parameters, ` +
                `${report.exact.matchesStatic ? 'equal to the static count' : 'DIFFERENT from the static count'}`;
          const fx = report.exact.fx;
          if (fx) {
            text +=
              'error' in fx
                ? `\n  torch.fx: does not trace (${fx.error})`
                : `\n  torch.fx: ${fx.ops} operations, ${fx.residualAdds} residual ` +
                  `additions; ${fx.staticShortcuts} blocks with a shortcut ` +
                  `statically${fx.matchesStatic ? '' : ' (DIFFERENT)'}`;
          }
        }
        texts.push(text);
      }
    } catch (error) {
      failed = true;
      io.err(formatDiagnostic(internalErrorDiagnostic(file, error)));
    }
  }

  if (values.json) {
    if (reports.length > 0) io.out(JSON.stringify(reports.length === 1 ? reports[0] : reports, null, 2));
  } else if (texts.length > 0) {
    io.out(texts.join(values.summary ? '\n' : '\n\n'));
  }
  return failed ? 2 : 0;
}

/** torch.fx's residual additions against the blocks the static reading found with a shortcut. */
function forwardGraphCheck(graph: ForwardGraph, network: Network): ForwardGraphCheck {
  const adds = residualAdds(graph);
  if ('error' in graph || adds === undefined) return { error: 'error' in graph ? graph.error : 'no graph' };
  const staticShortcuts = network.stages
    .flatMap((s) => s.blocks)
    .filter((b) => valueOf(b.facts.shortcut) !== undefined).length;
  return { ops: graph.ops.length, residualAdds: adds, staticShortcuts, matchesStatic: adds === staticShortcuts };
}

function macsText(summary: ModelSummary): string {
  if (!summary.macs.known) return 'unknown';
  return `${formatThousands(summary.macs.value)} (${(summary.macs.value / 1e9).toFixed(2)} G)`;
}
