import type { Network } from '../../core';
import type { InputShape, ModelState } from '../model/classifier';
import type { InputNormalization } from '../tfjs/normalize-input';
import { elementCount, shapeText, type TensorDict } from './host-tensor';
import { toEngineLayout, toTorchLayout, torchSlots, type TorchSlot } from './torch-names';
import { WeightsFileError } from './weights-error';

export interface MatchedWeights {
  /** Every parameter and buffer of the model, from the file, in the engine's names and layouts. */
  readonly state: ModelState;
  /**
   * The IR model's `mean`/`std` buffers when the file holds them: `null` for the identity
   * (mean 0, std 1: the model takes raw [0,1] pixels), undefined when the file has none.
   */
  readonly normalization?: InputNormalization | null;
  /** Which names matched: the IR model's or the model file's own. */
  readonly scheme: 'ir' | 'source';
}

const LISTED = 12;

/**
 * Puts a state dict's tensors into a network's state by PyTorch name, as `load_state_dict(strict=True)`
 * would: every tensor of the model must be there with its shape, and nothing else may be. All the
 * mismatches are reported in one message. BatchNorm's `num_batches_tracked` and the normalisation
 * buffers are optional.
 */
export function matchWeights(network: Network, input: InputShape, tensors: TensorDict, label: string): MatchedWeights {
  const slots = torchSlots(network, input);
  const hits = (scheme: 'ir' | 'source'): number => slots.filter((s) => tensors.has(nameIn(s, scheme))).length;
  const scheme = hits('source') > hits('ir') ? 'source' : 'ir';
  const missing: string[] = [];
  const wrong: string[] = [];
  const expected = new Set<string>();
  const replaced = new Map<string, { shape: readonly number[]; data: Float32Array }>();
  let mean: Float32Array | undefined;
  let std: Float32Array | undefined;
  for (const slot of slots) {
    const name = nameIn(slot, scheme);
    expected.add(name);
    const t = tensors.get(name);
    if (!t) {
      if (slot.role === 'tensor') missing.push(name);
      continue;
    }
    const fits =
      slot.role === 'mean' || slot.role === 'std'
        ? elementCount(t.shape) === elementCount(slot.torchShape)
        : sameShape(t.shape, slot.torchShape) || (slot.role === 'counter' && elementCount(t.shape) === 1);
    if (!fits) {
      wrong.push(`${name} is ${shapeText(t.shape)} in the file, ${shapeText(slot.torchShape)} in the model`);
      continue;
    }
    if (slot.role === 'mean') mean = t.data;
    else if (slot.role === 'std') std = t.data;
    else if (slot.role === 'tensor' && slot.engineName) {
      replaced.set(slot.engineName, { shape: slot.engineShape, data: toEngineLayout(slot, t.data) });
    }
  }
  const unexpected = [...tensors.keys()].filter((k) => !expected.has(k));
  if (missing.length + wrong.length + unexpected.length > 0) {
    const parts = [
      listed(`${missing.length} missing`, missing),
      listed(`${unexpected.length} unexpected`, unexpected),
      listed(`${wrong.length} of the wrong shape`, wrong),
    ].filter((p) => p !== undefined);
    const hint =
      scheme === 'ir'
        ? `names were compared with the IR model's (python/ir_model.py: stem.0.weight ...), ` +
          `then with ${network.name}'s own layer names`
        : `names were compared with ${network.name}'s own layer names, then with the IR model's`;
    throw new WeightsFileError(`${label} does not fit ${network.name}: ${parts.join('; ')}; ${hint}`);
  }
  return { state: { tensors: replaced }, scheme, ...normalizationOf(mean, std) };
}

/**
 * The input normalisation a state dict carries as the IR model's `mean`/`std` buffers (null: the
 * identity; undefined: the file has none), known before the model is built.
 */
export function fileNormalization(tensors: TensorDict): InputNormalization | null | undefined {
  const mean = tensors.get('mean');
  const std = tensors.get('std');
  if (!mean || !std || mean.data.length !== std.data.length) return undefined;
  return normalizationOf(mean.data, std.data).normalization;
}

function normalizationOf(
  mean: Float32Array | undefined,
  std: Float32Array | undefined,
): { normalization?: InputNormalization | null } {
  if (!mean || !std) return {};
  if (mean.every((m) => m === 0) && std.every((s) => s === 1)) return { normalization: null };
  return { normalization: { mean: Array.from(mean), std: Array.from(std) } };
}

function nameIn(slot: TorchSlot, scheme: 'ir' | 'source'): string {
  return scheme === 'ir' ? slot.irName : slot.sourceName;
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

function listed(title: string, names: readonly string[]): string | undefined {
  if (names.length === 0) return undefined;
  const shown = names.slice(0, LISTED).join(', ');
  return `${title}: ${shown}${names.length > LISTED ? `, and ${names.length - LISTED} more` : ''}`;
}

/**
 * A model's state as the IR model's state dict (python/ir_model.py names, PyTorch layouts), with
 * its input normalisation as the `mean`/`std` buffers and zero `num_batches_tracked` counters.
 * `load_state_dict(strict=True)` accepts it.
 */
export function torchStateDict(
  network: Network,
  input: InputShape,
  state: ModelState,
  normalization: InputNormalization | undefined,
): TensorDict {
  const out: TensorDict = new Map();
  const c = network.inputChannels;
  for (const slot of torchSlots(network, input)) {
    if (slot.role === 'mean' || slot.role === 'std') {
      const values = slot.role === 'mean' ? normalization?.mean : normalization?.std;
      const data = Float32Array.from(values ?? new Array<number>(c).fill(slot.role === 'mean' ? 0 : 1));
      out.set(slot.irName, { shape: slot.torchShape, data, dtype: 'float32' });
    } else if (slot.role === 'counter') out.set(slot.irName, { shape: [], data: new Float32Array(1), dtype: 'int64' });
    else if (slot.engineName) {
      const entry = state.tensors.get(slot.engineName);
      if (!entry) throw new WeightsFileError(`the model's state has no ${slot.engineName}`);
      if (!sameShape(entry.shape, slot.engineShape)) {
        throw new WeightsFileError(
          `the model's ${slot.engineName} is ${shapeText(entry.shape)}, expected ${shapeText(slot.engineShape)}`,
        );
      }
      out.set(slot.irName, { shape: slot.torchShape, data: toTorchLayout(slot, entry.data), dtype: 'float32' });
    }
  }
  return out;
}
