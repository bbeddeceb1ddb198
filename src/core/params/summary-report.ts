import type { Diagnostic } from '../ir/diagnostic';
import { layerLabel } from '../describe/layer-label';
import { formatShape } from './shapes';
import type { ModelSummary } from './summary';

/** The machine-readable form of a parameter summary (`robustness-lens params --json`). */
/**
 * The torch.fx forward graph against the static reading: its residual additions against the
 * blocks the static analysis found with a shortcut (or why the model does not trace).
 */
export type ForwardGraphCheck =
  | {
      readonly ops: number;
      readonly residualAdds: number;
      readonly staticShortcuts: number;
      readonly matchesStatic: boolean;
    }
  | { readonly error: string };

export interface ParamsReport {
  file: string;
  name: string;
  format: string;
  inputSize: number;
  /** Exact total, or null when some layer's count is unknown (see `unknown`). */
  total: number | null;
  /** Sum of the layers whose count is known: equals `total` when nothing is unknown. */
  knownParams: number;
  /** Weights Keras counts in its total but does not train; Keras' "Total params" = total + nonTrainable. */
  nonTrainable: number;
  macs: number | null;
  budget: { params: number; used: number } | null;
  parts: { name: string; params: number | null; macs: number | null }[];
  layers: {
    name: string;
    type: string;
    kind: string;
    stage: number | null;
    block: number | null;
    branch: string | null;
    output: string;
    params: number | null;
    macs: number | null;
    /** 1-based line of the source the layer comes from. */
    line: number | null;
  }[];
  unknown: string[];
  /** PyTorch's own count, when the file was also run under PyTorch (`params --exact`). */
  exact?: { total: number | null; torch: string; matchesStatic: boolean; error?: string; fx?: ForwardGraphCheck };
  notes: { code: string; severity: string; line: number; column: number; message: string }[];
}

/**
 * `budget`: the budget in force where the caller knows it (the editor's setting, the config file),
 * measured as the editor's lens measures it (every weight, trainable or not); without it, the
 * model file's own budget against the trainable count.
 */
export function paramsReport(
  summary: ModelSummary,
  notes: readonly Diagnostic[] = summary.network.notes,
  budget?: number | null,
): ParamsReport {
  const { network } = summary;
  const value = (fact: { known: boolean; value?: number }): number | null => (fact.known ? (fact.value ?? null) : null);
  const total = summary.total.known ? summary.total.value : null;
  const unknownReasons = new Set<string>();
  for (const row of summary.rows) if (!row.params.known) unknownReasons.add(`${row.layer.name}: ${row.params.reason}`);
  return {
    file: network.file,
    name: network.name,
    format: network.format,
    inputSize: summary.inputSize,
    total,
    knownParams: summary.knownParams,
    nonTrainable: summary.nonTrainable,
    macs: summary.macs.known ? summary.macs.value : null,
    budget:
      budget !== undefined
        ? budget
          ? { params: budget, used: (summary.knownParams + summary.nonTrainable) / budget }
          : null
        : network.budget
          ? { params: network.budget.params, used: summary.knownParams / network.budget.params }
          : null,
    parts: summary.parts.map((p) => ({ name: p.name, params: value(p.params), macs: value(p.macs) })),
    layers: summary.rows.map((row) => ({
      name: row.layer.name,
      type: layerLabel(row.layer),
      kind: row.layer.kind,
      stage: row.stage ?? null,
      block: row.block ?? null,
      branch: row.branch ?? null,
      output: formatShape(row.output),
      params: value(row.params),
      macs: value(row.macs),
      line: row.layer.source ? row.layer.source.start.line + 1 : null,
    })),
    unknown: [...unknownReasons],
    notes: notes.map((d) => ({
      code: d.code,
      severity: d.severity,
      line: d.range.start.line + 1,
      column: d.range.start.character + 1,
      message: d.message,
    })),
  };
}
