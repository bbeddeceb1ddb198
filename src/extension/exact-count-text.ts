import type { ParamsReport } from '../core';
import { formatThousands } from '../core/util/parse-count';
import { residualAdds, type ExactReport } from '../engine/pytorch/exact-count';

/** One line per model: the static count against PyTorch's, and the torch.fx check. */
export function exactCountLines(reports: readonly ParamsReport[], exact: ExactReport): string[] {
  if (exact.failure) return [`PyTorch could not count: ${exact.failure}`];
  return reports.map((report) => {
    const measured = exact.models[report.name];
    if (!measured)
      return `${report.name}: PyTorch could not build it (${exact.errors[report.name] ?? 'not instantiated'})`;
    const statically =
      report.total === null
        ? `at least ${formatThousands(report.knownParams)} (some layers unknown)`
        : formatThousands(report.total);
    const verdict =
      report.total === measured.total ? 'equal to the static count' : `static count ${statically}: DIFFERENT`;
    let line =
      `${report.name}: PyTorch ${exact.torch ?? ''} counts ` +
      `${formatThousands(measured.total)} parameters, ${verdict}`;
    const adds = measured.fx ? residualAdds(measured.fx) : undefined;
    if (measured.fx && 'error' in measured.fx) line += `; torch.fx does not trace it (${measured.fx.error})`;
    else if (adds !== undefined) line += `; torch.fx: ${adds} residual addition${adds === 1 ? '' : 's'}`;
    return line;
  });
}

/** What the confirmation says before the user's code runs. */
export function exactCountPrompt(file: string, python: string): string {
  return (
    `Count the models of ${file} exactly? This runs the file with ${python} (PyTorch builds ` +
    `each model in a separate process, with a 2-minute limit).`
  );
}
