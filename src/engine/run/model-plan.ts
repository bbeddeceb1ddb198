/**
 * What a run computes on, read without any compute back end: the network of the IR and its
 * initial weights as host arrays, or the path of a TF.js model.json. The back ends are built from
 * this (load-model.ts for tfjs, the ONNX Runtime classifiers directly), so ONNX Runtime and the
 * PyTorch trainer never need tfjs to start a model of the IR.
 */
import * as path from 'node:path';
import {
  ensurePythonParser,
  FileReadError,
  MAX_MODEL_FILE_BYTES,
  networksOf,
  READ_LIMITS,
  readModelFile,
  readTextBounded,
  summarize,
  valueOf,
  type Network,
} from '../../core';
import type { Dataset } from '../data/dataset';
import type { ModelState } from '../model/classifier';
import { KNOWN_NORMALIZATIONS, type InputNormalization } from '../tfjs/normalize-input';
import { UnsupportedModelError } from '../tfjs/unsupported-model-error';
import { initialState, parameterCount } from '../weights/initial-weights';
import type { TorchWeights } from '../weights/torch-weights';
import { matchWeights } from '../weights/load-weights';
import { WeightsFileError } from '../weights/weights-error';

/** Which model of a file to run: the only one, or the one named. */
export async function readNetwork(file: string, name?: string): Promise<Network> {
  let text: string;
  try {
    text = readTextBounded(file, { maxBytes: MAX_MODEL_FILE_BYTES, what: 'model file' });
  } catch (error) {
    if (error instanceof FileReadError) throw new UnsupportedModelError(`cannot read ${error.message}`);
    throw error;
  }
  if (file.endsWith('.py')) await ensurePythonParser();
  const read = readModelFile(file, text);
  const networks = networksOf(read);
  if (networks.length === 0) {
    const first = read.diagnostics.find((d) => d.severity === 'error');
    throw new UnsupportedModelError(`${file}: ${first?.message ?? 'no model found'}`);
  }
  if (name) {
    const chosen = networks.find((n) => n.name === name);
    if (!chosen)
      throw new UnsupportedModelError(
        `${file} has no model named ${name}; it has ${networks.map((n) => n.name).join(', ')}`,
      );
    return chosen;
  }
  if (networks.length > 1)
    throw new UnsupportedModelError(
      `${file} defines ${networks.length} models ` +
        `(${networks.map((n) => n.name).join(', ')}); choose one with --model NAME`,
    );
  return networks[0] as Network;
}

/** The published statistics of a known data set, else none (the model sees [0,1] pixels). */
export function normalizationFor(dataset: Dataset): InputNormalization | undefined {
  const name = dataset.name.toLowerCase().replace(/[^a-z0-9]/g, '');
  if (name === 'mnist' && dataset.shape.channels === 1) return KNOWN_NORMALIZATIONS.mnist;
  if (name.startsWith('cifar10') && dataset.shape.channels === 3) return KNOWN_NORMALIZATIONS.cifar10;
  return undefined;
}

/** A network of the IR ready for any back end: its weights at the start, on the host. */
export interface IrModelPlan {
  readonly kind: 'ir';
  readonly name: string;
  readonly network: Network;
  /** PyTorch's default initialisation drawn from the run's seed (initial-weights.ts). */
  readonly initial: ModelState;
  /** Learned parameters, as PyTorch's `parameters()` counts them. */
  readonly paramCount: number;
  /** Whether the engine's input normalisation applies. */
  readonly normalized: boolean;
  /** Parameters of the stem, each stage and the head, and the file's budget: for the results panel. */
  readonly parts: readonly { readonly name: string; readonly params: number }[];
  readonly budget?: number;
}

/** A TF.js layers model: its topology and weights are read by the tfjs back end (it brings its own weights). */
export interface ModelJsonPlan {
  readonly kind: 'model-json';
  readonly name: string;
  readonly modelJson: string;
}

export type ModelPlan = IrModelPlan | ModelJsonPlan;

/**
 * Reads a model file for the data it will see: a TF.js model.json is only located; any other file
 * is read into the IR, checked against the data's classes, and given its seeded initial weights.
 */
export async function planModel(
  file: string,
  name: string | undefined,
  data: Dataset,
  normalization: InputNormalization | undefined,
  seed: number,
): Promise<ModelPlan> {
  if (isTfjsModelJson(file)) {
    return { kind: 'model-json', name: path.basename(path.dirname(path.resolve(file))), modelJson: path.resolve(file) };
  }
  const network = await readNetwork(file, name);
  const classes = valueOf(network.head.numClasses);
  if (classes !== undefined && classes !== data.numClasses) {
    throw new UnsupportedModelError(
      `${network.name} has ${classes} output classes but ${data.name} has ` +
        `${data.numClasses}; set the model's number of classes to ${data.numClasses}`,
    );
  }
  if (network.inputChannels !== data.shape.channels) {
    throw new UnsupportedModelError(
      `${network.name} takes ${network.inputChannels}-channel images but the data has ` +
        `${data.shape.channels} channels`,
    );
  }
  const parts = summarize(network, data.shape.height).parts.flatMap((p) =>
    p.params.known ? [{ name: p.name, params: p.params.value }] : [],
  );
  return {
    kind: 'ir',
    name: network.name,
    network,
    initial: initialState(network, data.shape, seed),
    paramCount: parameterCount(network, data.shape),
    normalized: normalization !== undefined,
    parts,
    ...(network.budget ? { budget: network.budget.params } : {}),
  };
}

/**
 * The weights a run starts from: a PyTorch file's (fine-tuning), matched by name as
 * `load_state_dict(strict=True)` would, else the plan's seeded initial weights.
 */
export function startingState(plan: IrModelPlan, data: Dataset, weights: TorchWeights | undefined): ModelState {
  if (!weights) return plan.initial;
  const matched = matchWeights(plan.network, data.shape, weights.tensors, path.basename(weights.file)).state;
  // In the engine's order (parameters, then running statistics), as the initial weights are.
  const tensors = new Map<string, { shape: readonly number[]; data: Float32Array }>();
  for (const name of plan.initial.tensors.keys()) {
    const t = matched.tensors.get(name);
    if (t) tensors.set(name, t);
  }
  return { tensors };
}

/** The message for PyTorch weights given to a TF.js model.json. */
export function modelJsonWeightsError(weights: TorchWeights): WeightsFileError {
  return new WeightsFileError(
    `${path.basename(weights.file)}: PyTorch weights load into models the engine builds from their ` +
      'architecture; a TF.js model.json brings its own weights',
  );
}

/**
 * Why `state` cannot be the weights of the plan's model (tensors missing or of another shape, in
 * the engine's names), or undefined when it fits. Extra entries (momentum buffers) are allowed.
 */
export function stateMisfit(plan: IrModelPlan, state: ModelState): string | undefined {
  const missing: string[] = [];
  const wrong: string[] = [];
  for (const [name, t] of plan.initial.tensors) {
    const got = state.tensors.get(name);
    if (!got) missing.push(name);
    else if (got.shape.length !== t.shape.length || got.shape.some((d, i) => d !== t.shape[i]))
      wrong.push(`${name} is [${got.shape.join(', ')}], the model's [${t.shape.join(', ')}]`);
  }
  const parts = [
    missing.length ? `${missing.length} missing (${shortList(missing)})` : '',
    wrong.length ? `${wrong.length} of the wrong shape (${shortList(wrong)})` : '',
  ].filter(Boolean);
  return parts.length ? parts.join('; ') : undefined;
}

function shortList(items: readonly string[]): string {
  return items.length > 6 ? `${items.slice(0, 6).join(', ')}, and ${items.length - 6} more` : items.join(', ');
}

function isTfjsModelJson(file: string): boolean {
  if (!file.endsWith('.json') || file.endsWith('.arch.json')) return false;
  try {
    const head = readTextBounded(file, { maxBytes: READ_LIMITS.modelJson, what: 'model file' }).slice(0, 4096);
    return /"modelTopology"/.test(head) || /"format"\s*:\s*"layers-model"/.test(head);
  } catch {
    return false;
  }
}
