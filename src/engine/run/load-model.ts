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
import { UnsupportedModelError } from '../tfjs/build-forward';
import { KNOWN_NORMALIZATIONS, type InputNormalization } from '../tfjs/normalize-input';
import { TfjsClassifier } from '../tfjs/tfjs-classifier';
import { LayersClassifier } from '../tfjs/layers-classifier';
import type { TrainableClassifier } from '../model/classifier';

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

/** Builds the network for the data it will see, checking that the two fit. */
export function buildClassifier(
  network: Network,
  data: Dataset,
  normalization: InputNormalization | undefined,
  seed: number,
): TfjsClassifier {
  const classes = valueOf(network.head.numClasses);
  if (classes !== undefined && classes !== data.numClasses) {
    throw new UnsupportedModelError(
      `${network.name} has ${classes} output classes but ${data.name} has ` +
        `${data.numClasses}; set the model's number of classes to ${data.numClasses}`,
    );
  }
  return new TfjsClassifier(network, {
    inputShape: data.shape,
    numClasses: data.numClasses,
    seed,
    ...(normalization ? { normalization } : {}),
  });
}

export interface LoadedModel {
  readonly model: TrainableClassifier;
  readonly name: string;
  /** Whether the engine's input normalisation applies (a TF.js model brings its own). */
  readonly normalized: boolean;
  /** Parameters of the stem, each stage and the head, and the file's budget: for the results panel. */
  readonly parts?: readonly { readonly name: string; readonly params: number }[];
  readonly budget?: number;
  /** The IR the model was built from (absent for a TF.js model.json), for other back ends to build it too. */
  readonly network?: Network;
  /** A TF.js model.json's path, for other back ends to read its layers from. */
  readonly modelJson?: string;
}

/** A TF.js layers model (model.json) is loaded with its weights; any other file is built from the IR. */
export async function loadModel(
  file: string,
  name: string | undefined,
  data: Dataset,
  normalization: InputNormalization | undefined,
  seed: number,
): Promise<LoadedModel> {
  if (isTfjsModelJson(file)) {
    const model = await LayersClassifier.load(file);
    const s = model.inputShape;
    if (s.height !== data.shape.height || s.width !== data.shape.width || s.channels !== data.shape.channels) {
      model.dispose();
      throw new UnsupportedModelError(
        `${file} takes ${s.height}x${s.width}x${s.channels} images but ${data.name} has ` +
          `${data.shape.height}x${data.shape.width}x${data.shape.channels}`,
      );
    }
    if (model.numClasses !== data.numClasses) {
      model.dispose();
      throw new UnsupportedModelError(
        `${file} has ${model.numClasses} output classes but ${data.name} has ${data.numClasses}`,
      );
    }
    return {
      model,
      name: path.basename(path.dirname(path.resolve(file))),
      normalized: false,
      modelJson: path.resolve(file),
    };
  }
  const network = await readNetwork(file, name);
  const parts = summarize(network, data.shape.height).parts.flatMap((p) =>
    p.params.known ? [{ name: p.name, params: p.params.value }] : [],
  );
  return {
    model: buildClassifier(network, data, normalization, seed),
    name: network.name,
    normalized: normalization !== undefined,
    parts,
    network,
    ...(network.budget ? { budget: network.budget.params } : {}),
  };
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
