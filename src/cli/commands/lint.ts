import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import {
  configModels,
  findLintConfig,
  internalErrorDiagnostic,
  formatLocation,
  lintReadResult,
  mergeConfigs,
  readTextIfExists,
  type Diagnostic,
  type LintConfig,
} from '../../core';
import { readModelFromDisk } from '../read-file';
import { findModelFiles, pointRange } from '../../core';
import { toSarif } from '../formats/sarif';
import { toLintJson } from '../formats/lint-json';
import { UsageError, type CommandIO } from '../io';
import { budgetOption, positiveIntegerOption } from '../options';
import { VERSION } from '../version';

export const LINT_USAGE = `Usage: robustness-lens lint PATH... [options]

Checks model files against the 18 design guidelines of the RobArch study (RA001..RA018).
Directories are searched for *.arch.yaml, *.arch.json and RobArch model configs, honouring
.gitignore. Settings come from the nearest robustness-lens.toml or [tool.robustness-lens] in
pyproject.toml; options override them.

Options:
  --format FORMAT        text (default), json or sarif (SARIF 2.1.0)
  --select CODES         rules to run, comma-separated codes or prefixes (RA011,RA01,ALL)
  --extend-select CODES  rules to add to the selection
  --ignore CODES         rules to skip
  --budget N             parameter budget (26M, 26000000); overrides the model file's
  --num-classes N        classes of the head when a RobArch config leaves num_classes to Hydra
  --model EXPR           the model of a Python file to check, as a Python expression on what
                         the file defines: --model "get_model('ra_wrn70_16')"; repeatable
                         (default: the config's \`models\` where the file defines them, else
                         the models found in it)
  --python-path DIR      where a Python file's imports are looked for besides its own package;
                         repeatable. Files found are read, never run
  --no-config            ignore configuration files
  -h, --help             show this help

Exit codes: 0 no findings, 1 findings, 2 usage error or a file that could not be read.`;

function codes(option: string | undefined): string[] | undefined {
  if (option === undefined) return undefined;
  const list = option
    .split(',')
    .map((c) => c.trim())
    .filter(Boolean);
  if (list.some((c) => !/^(ALL|RA\d{0,3})$/i.test(c)))
    throw new UsageError(`rule selectors must be codes or prefixes such as RA011, RA01 or ALL, got "${option}"`);
  return list;
}

export function runLint(args: readonly string[], io: CommandIO): number {
  const { values, positionals } = parseArgs({
    args: [...args],
    allowPositionals: true,
    options: {
      format: { type: 'string', default: 'text' },
      select: { type: 'string' },
      'extend-select': { type: 'string' },
      ignore: { type: 'string' },
      budget: { type: 'string' },
      'num-classes': { type: 'string' },
      model: { type: 'string', multiple: true },
      'python-path': { type: 'string', multiple: true },
      'no-config': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    io.out(LINT_USAGE);
    return 0;
  }
  const format = values.format;
  if (format !== 'text' && format !== 'json' && format !== 'sarif')
    throw new UsageError(`--format must be text, json or sarif, got "${format}"`);
  if (positionals.length === 0) throw new UsageError('lint needs at least one PATH');
  const budgetOverride = budgetOption(values.budget);
  const numClasses = positiveIntegerOption('num-classes', values['num-classes']);
  const cliLayer: LintConfig = {
    ...(codes(values.select) ? { select: codes(values.select) } : {}),
    ...(codes(values['extend-select']) ? { extendSelect: codes(values['extend-select']) } : {}),
    ...(codes(values.ignore) ? { ignore: codes(values.ignore) } : {}),
  };

  const files: string[] = [];
  const diagnostics: Diagnostic[] = [];
  for (const target of positionals) {
    try {
      if (fs.existsSync(target) && fs.statSync(target).isDirectory()) {
        const unread = (file: string, message: string): void => {
          const problem = `${message}; its rules are not applied`;
          diagnostics.push({ file, range: pointRange(0, 0), severity: 'warning', code: 'RL100', message: problem });
        };
        files.push(...findModelFiles(target, unread).map((f) => path.relative(process.cwd(), f) || f));
      } else {
        files.push(target);
      }
    } catch (error) {
      diagnostics.push(internalErrorDiagnostic(target, error));
    }
  }
  const configs = new Map<string, ReturnType<typeof findLintConfig>>();
  const dir = (file: string): string => path.dirname(path.resolve(file));
  for (const file of files) {
    // A file that makes a reader or a rule throw is reported at its start; the others go on.
    try {
      diagnostics.push(...lintOneFile(file));
    } catch (error) {
      diagnostics.push(internalErrorDiagnostic(file, error));
    }
  }
  function lintOneFile(file: string): Diagnostic[] {
    const found: Diagnostic[] = [];
    let fileConfig: LintConfig | undefined;
    if (!values['no-config']) {
      const config = configs.get(dir(file)) ?? findLintConfig(dir(file), readTextIfExists);
      configs.set(dir(file), config);
      for (const d of config.diagnostics) if (!diagnostics.includes(d) && !found.includes(d)) found.push(d);
      fileConfig = config.config;
    }
    const models = values.model?.length
      ? { expressions: values.model, from: '--model', strict: true }
      : configModels(fileConfig, configs.get(dir(file))?.file);
    const python = { searchPath: values['python-path'] ?? [] };
    const { result: read, text } = readModelFromDisk(file, { numClasses, python, ...(models ? { models } : {}) });
    found.push(...lintReadResult(read, text ?? '', { config: mergeConfigs(fileConfig, cliLayer), budgetOverride }));
    return found;
  }
  const failed = diagnostics.some((d) => !/^RA\d{3}$/.test(d.code) && d.severity === 'error');
  const findings = diagnostics.filter((d) => /^RA\d{3}$/.test(d.code));

  if (format === 'json') {
    io.out(JSON.stringify(toLintJson(diagnostics), null, 2));
  } else if (format === 'sarif') {
    io.out(JSON.stringify(toSarif(diagnostics, VERSION, process.cwd()), null, 2));
  } else {
    for (const d of diagnostics) {
      const line = `${formatLocation(d.file, d.range)}: ${d.code}${d.fix ? ' [*]' : ''} ${d.message}`;
      if (/^RA\d{3}$/.test(d.code)) io.out(line);
      else io.err(line);
    }
    if (files.length === 0) io.err('No model files found.');
    else if (findings.length === 0 && !failed)
      io.out(`All checks passed (${files.length} file${files.length === 1 ? '' : 's'}).`);
    else if (findings.length > 0) {
      const fixable = findings.filter((d) => d.fix).length;
      io.out(
        `Found ${findings.length} finding${findings.length === 1 ? '' : 's'} in ` +
          `${files.length} ` +
          `file${files.length === 1 ? '' : 's'}${fixable ? ` ([*] ${fixable} with a quick fix in the editor)` : ''}.`,
      );
    }
  }
  if (failed) return 2;
  return findings.some((d) => d.severity === 'error' || d.severity === 'warning') ? 1 : 0;
}
