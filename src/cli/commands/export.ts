import { parseArgs } from 'node:util';
import { exportRun, type ExportFormat } from '../../engine/weights/export-run';
import { UsageError, type CommandIO } from '../io';
import { choiceOption } from '../run-options';

export const EXPORT_USAGE = `Usage: robustness-lens export RUN --format pt|safetensors [--out FILE]

Writes a training run's weights as a PyTorch state dict of the model rebuilt as torch.nn
(python/ir_model.py), so that IrModel(...).load_state_dict(torch.load(FILE), strict=True)
loads them. The input normalisation travels as the 'mean' and 'std' buffers.

Options:
  --format F         pt (torch.save zip, default) or safetensors
  --out FILE         where to write (default: RUN/weights.pt or RUN/weights.safetensors)
  --json             print the result as JSON
  -h, --help         show this help`;

export async function runExport(argv: readonly string[], io: CommandIO): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      format: { type: 'string' },
      out: { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    io.out(EXPORT_USAGE);
    return 0;
  }
  const [run, ...extra] = positionals;
  if (!run || extra.length > 0) throw new UsageError('export takes one training run folder');
  const format = choiceOption<ExportFormat>('format', values.format, ['pt', 'safetensors']) ?? 'pt';
  const exported = await exportRun(run, format, values.out);
  if (values.json) io.out(JSON.stringify(exported, null, 2));
  else io.out(`wrote ${exported.tensors} tensors of ${exported.model} to ${exported.file}`);
  return 0;
}
