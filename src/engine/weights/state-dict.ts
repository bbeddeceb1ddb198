import * as fs from 'node:fs';
import * as path from 'node:path';
import type { HostTensor, TensorDict } from './host-tensor';
import { readSafetensors } from './safetensors';
import { readTorchFile } from './torch-file';
import { WeightsFileError } from './weights-error';

/** Where training scripts commonly keep the model's weights inside a saved dict, most specific first. */
const CONTAINER_KEYS = ['state_dict', 'model_state_dict', 'model_state', 'model', 'net', 'state'];
/** Prefixes wrappers add to every name: DataParallel and DDP (`module.`), torch.compile (`_orig_mod.`). */
const WRAPPER_PREFIXES = ['module.', '_orig_mod.'];
/** Node reads at most 2 GiB into one buffer. */
const MAX_FILE_BYTES = 2 ** 31 - 1;

export interface ReadStateDict {
  readonly tensors: TensorDict;
  /** How the names were found: the container key path and the prefixes removed, for messages. */
  readonly notes: readonly string[];
}

/** A `.pt`/`.pth`/`.bin` torch.save file or a `.safetensors` file, as named tensors. */
export function readStateDictFile(file: string): ReadStateDict {
  const label = path.basename(file);
  let size: number;
  try {
    size = fs.statSync(file).size;
  } catch (error) {
    throw new WeightsFileError(
      `cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    );
  }
  if (size > MAX_FILE_BYTES) {
    throw new WeightsFileError(
      `${file} is ${(size / 1024 ** 3).toFixed(1)} GiB; weights files of 2 GiB or more are not read`,
    );
  }
  const bytes = fs.readFileSync(file);
  if (file.toLowerCase().endsWith('.safetensors')) return stripPrefixes(readSafetensors(bytes, label), []);
  return findStateDict(readTorchFile(bytes, label), label);
}

/** The tensors of a saved object: the object itself when it is a dict of tensors, else a known container inside it. */
export function findStateDict(root: unknown, label: string): ReadStateDict {
  const notes: string[] = [];
  let current = root;
  for (let depth = 0; depth < 4; depth++) {
    if (!(current instanceof Map)) break;
    const tensors = tensorEntries(current);
    if (tensors && tensors.size > 0) return stripPrefixes(tensors, notes);
    const key = CONTAINER_KEYS.find((k) => current instanceof Map && current.get(k) instanceof Map);
    if (key === undefined) break;
    notes.push(`the weights are under "${key}"`);
    current = current.get(key);
  }
  const keys = root instanceof Map ? [...root.keys()].map(String).slice(0, 12) : [];
  throw new WeightsFileError(
    `${label}: no state dict found (a dict of tensors, or one under ${CONTAINER_KEYS.join(', ')})` +
      (keys.length ? `; its top-level keys are ${keys.join(', ')}` : ''),
  );
}

/** A dict whose values are tensors (other values, such as a step count, are dropped); undefined if it holds none. */
function tensorEntries(map: Map<unknown, unknown>): TensorDict | undefined {
  const out: TensorDict = new Map();
  for (const [k, v] of map) {
    if (typeof k === 'string' && isHostTensor(v)) out.set(k, v);
  }
  return out.size > 0 && out.size >= map.size / 2 ? out : undefined;
}

function isHostTensor(v: unknown): v is HostTensor {
  const t = v as HostTensor | null;
  return typeof t === 'object' && t !== null && t.data instanceof Float32Array && Array.isArray(t.shape);
}

function stripPrefixes(tensors: TensorDict, notes: string[]): ReadStateDict {
  let current = tensors;
  for (let changed = true; changed;) {
    changed = false;
    for (const prefix of WRAPPER_PREFIXES) {
      if (current.size > 0 && [...current.keys()].every((k) => k.startsWith(prefix))) {
        current = new Map([...current].map(([k, v]) => [k.slice(prefix.length), v]));
        notes.push(`the "${prefix}" prefix was removed from every name`);
        changed = true;
      }
    }
  }
  return { tensors: current, notes };
}
