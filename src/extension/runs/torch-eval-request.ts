import * as path from 'node:path';
import type { TorchEvalSource } from '../../engine/run/torch-eval-source';
import { parseEntry } from '../../engine/torch/entry';
import { KNOWN_NORMALIZATIONS, type InputNormalization } from '../../engine/tfjs/normalize-input';
import { evalRequest, type EvalChoices, type Parsed, type RunRequest } from './run-request';

/**
 * The entry that builds a model the static reading found: its file relative to the workspace
 * (where the worker looks), then its name as the reader gives it: `resnet50` (a factory or class,
 * called without arguments), `get_model('ra_wrn70_16')` (a call with literal arguments).
 */
export function entryFor(file: string, workspace: string, modelName: string): string {
  const relative = path.relative(workspace, file);
  const inside = relative !== '' && !relative.startsWith('..') && !path.isAbsolute(relative);
  const where = inside ? relative.split(path.sep).join('/') : file;
  return `${where}:${modelName}`;
}

/** Problems with an entry typed in the editor, for the input box; undefined when it is fine. */
export function checkEntry(text: string): string | undefined {
  if (!parseEntry(text)) return 'FILE.py:factory(args) or package.module:factory(args), the arguments Python literals';
  return undefined;
}

/** The choices of the normalisation pick: none, each data set whose statistics the engine knows, or typed. */
export const NORMALIZATION_NAMES = Object.keys(KNOWN_NORMALIZATIONS);

/** `cifar10` (a known data set) or `MEANS/STDS`, comma-separated, as many positive STDS as MEANS. */
export function parseNormalization(text: string): Parsed<InputNormalization> {
  const known = KNOWN_NORMALIZATIONS[text.trim().toLowerCase()];
  if (known) return { ok: true, value: known };
  const parts = text.split('/');
  const [mean, std] = parts.map((p) => p.split(',').map((v) => (v.trim() === '' ? Number.NaN : Number(v))));
  const fine =
    parts.length === 2 &&
    mean !== undefined &&
    std !== undefined &&
    mean.length === std.length &&
    [...mean, ...std].every(Number.isFinite) &&
    std.every((v) => v > 0);
  if (!fine || !mean || !std)
    return {
      ok: false,
      error: `${NORMALIZATION_NAMES.join(', ')} or MEANS/STDS such as 0.5,0.5,0.5/0.25,0.25,0.25 (as many of each)`,
    };
  return { ok: true, value: { mean, std } };
}

/** Whose weights the evaluation attacks: a torch.save file, the entry's own (it may load them), or its initial ones. */
export type TorchWeights =
  { readonly kind: 'file'; readonly file: string } | { readonly kind: 'entry' } | { readonly kind: 'untrained' };

export interface TorchEvalChoices extends Omit<EvalChoices, 'weights' | 'backend'> {
  readonly python: string;
  readonly entry: string;
  readonly weights: TorchWeights;
  /** `auto` leaves the worker to pick CUDA when its PyTorch sees a GPU. */
  readonly device: 'auto' | 'cpu' | 'cuda';
  readonly normalize?: InputNormalization;
}

/** The run request of an evaluation on the user's own PyTorch, queued like the engine's evaluations. */
export function torchEvalRequest(c: TorchEvalChoices): RunRequest {
  const { python, entry, weights, device, normalize, ...rest } = c;
  const base = evalRequest({ ...rest, ...(weights.kind === 'file' ? { weights: weights.file } : {}) });
  if (base.kind !== 'eval') return base;
  const torch: TorchEvalSource = {
    python,
    entry,
    ...(device !== 'auto' ? { device } : {}),
    ...(normalize ? { normalize } : {}),
    ...(weights.kind === 'untrained' ? { untrained: true } : {}),
  };
  const parsed = parseEntry(entry);
  const name = parsed ? `${parsed.name}${parsed.call ?? ''}` : entry;
  return { ...base, label: `Evaluating ${name} on PyTorch`, options: { ...base.options, torch } };
}

/** What the confirmation says before the evaluation runs the user's code (the exact count asks the same way). */
export function torchEvalPrompt(entry: string, python: string, device: TorchEvalChoices['device']): string {
  const file = parseEntry(entry)?.target ?? entry;
  const where = device === 'auto' ? 'on its GPU when it sees one, else the CPU' : `on ${device}`;
  return (
    `Evaluate ${entry} with PyTorch? This runs ${file} with ${python} (it imports the file and calls what ` +
    `the entry names), ${where}; the engine's attacks reach the model through a worker process.`
  );
}
