import { KNOWN_NORMALIZATIONS, type InputNormalization } from '../../engine/tfjs/normalize-input';
import { parseEntry } from '../../engine/torch/entry';
import { UsageError } from '../io';

/** The options `eval --backend torch` takes (and --normalize, which every back end takes). */
export const TORCH_EVAL_OPTIONS = {
  entry: { type: 'string' },
  normalize: { type: 'string' },
  device: { type: 'string' },
  python: { type: 'string' },
  'trust-code': { type: 'boolean' },
} as const;

export const TORCH_EVAL_USAGE = `
With --backend torch (runs the model in your own PyTorch, on its GPU when it sees one):
  --entry E          the model as FILE.py:factory(args) or package.module:factory(args) (args
                     are Python literals); runs that code, so it needs --trust-code. Without
                     it, MODEL's network is rebuilt as torch.nn
  --weights W        a torch.save state dict (.pt, .pth; under state_dict, model, net ...,
                     'module.' prefixes removed) or a .safetensors file, loaded by your PyTorch
  --device D         cpu, cuda or cuda:N (default: CUDA when your PyTorch sees a GPU, else CPU)
  --python PATH      the Python with torch (default python3)
  --trust-code       allow --entry to run your Python file`;

interface TorchValues {
  readonly entry?: string | undefined;
  readonly normalize?: string | undefined;
  readonly device?: string | undefined;
  readonly python?: string | undefined;
  readonly 'trust-code'?: boolean | undefined;
}

/** `--normalize`: a known data set's statistics or MEANS/STDS, comma-separated, as many of each. */
export function normalizeOption(text: string | undefined): InputNormalization | undefined {
  if (text === undefined) return undefined;
  const known = KNOWN_NORMALIZATIONS[text.toLowerCase()];
  if (known) return known;
  const parts = text.split('/');
  const lists = parts.map((p) => p.split(',').map((v) => Number(v.trim())));
  const [mean, std] = lists;
  if (
    parts.length !== 2 ||
    !mean ||
    !std ||
    mean.length !== std.length ||
    [...mean, ...std].some((v) => !Number.isFinite(v)) ||
    std.some((v) => v <= 0)
  ) {
    throw new UsageError(
      `--normalize must be ${Object.keys(KNOWN_NORMALIZATIONS).join(', ')} or MEANS/STDS ` +
        `with as many positive STDS, got "${text}"`,
    );
  }
  return { mean, std };
}

/** `--device`: cpu, cuda or cuda:N. */
export function deviceOption(text: string | undefined): string | undefined {
  if (text === undefined || text === 'auto') return undefined;
  if (!/^(cpu|cuda(:\d+)?)$/.test(text))
    throw new UsageError(`--device must be auto, cpu, cuda or cuda:N, got "${text}"`);
  return text;
}

/**
 * The torch options checked: refused without --backend torch (but --normalize, which any back end
 * takes for a PyTorch checkpoint), and --entry only with --trust-code.
 */
export function torchEvalValues(
  values: TorchValues,
  torch: boolean,
): { python: string; entry?: string; device?: string; normalize?: InputNormalization } {
  const given = (Object.keys(TORCH_EVAL_OPTIONS) as (keyof TorchValues)[]).filter(
    (k) => values[k] !== undefined && k !== 'normalize',
  );
  if (!torch) {
    if (given.length > 0) throw new UsageError(`--${given[0]} is an option of --backend torch`);
    const normalize = normalizeOption(values.normalize);
    return { python: 'python3', ...(normalize ? { normalize } : {}) };
  }
  if (values.entry && !values['trust-code']) {
    throw new UsageError(
      `--entry ${values.entry} runs ${parseEntry(values.entry)?.target ?? values.entry} under your ` +
        `Python. Add --trust-code if you trust that code`,
    );
  }
  const device = deviceOption(values.device);
  const normalize = normalizeOption(values.normalize);
  return {
    python: values.python ?? 'python3',
    ...(values.entry ? { entry: values.entry } : {}),
    ...(device ? { device } : {}),
    ...(normalize ? { normalize } : {}),
  };
}
