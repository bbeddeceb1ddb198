import { AllowedGlobal, PickleTuple, readPickle } from './pickle-reader';
import { materialize, STORAGE_TYPES, StorageRef, TensorRef } from './torch-storage';
import type { HostTensor } from './host-tensor';
import { WeightsFileError } from './weights-error';
import { ZipArchive } from './zip-archive';

/**
 * Reads a `torch.save` file (the zip format of PyTorch 1.6 and later: `<name>/data.pkl` and one
 * `<name>/data/<key>` entry per storage) without Python and without running any of its pickle.
 * Returns the saved object with each tensor read as a float32 HostTensor (dicts become Maps).
 */
export function readTorchFile(bytes: Uint8Array, label: string): unknown {
  if (bytes.length >= 2 && bytes[0] === 0x80 && bytes[1] === 0x02) {
    throw new WeightsFileError(
      `${label} is in the legacy torch.save format (before PyTorch 1.6), which is not read; ` +
        're-save it with torch.save(obj, path) from PyTorch 1.6 or later',
    );
  }
  if (bytes.length < 4 || bytes[0] !== 0x50 || bytes[1] !== 0x4b) {
    throw new WeightsFileError(`${label} is not a torch.save zip file`);
  }
  const archive = new ZipArchive(bytes, label);
  const pickleName = archive.names.find((n) => n === 'data.pkl' || n.endsWith('/data.pkl'));
  if (!pickleName) {
    throw new WeightsFileError(`${label}: the archive has no data.pkl, so it was not written by torch.save`);
  }
  const prefix = pickleName.slice(0, -'data.pkl'.length);
  const orderEntry = `${prefix}byteorder`;
  const byteOrder = archive.has(orderEntry) ? Buffer.from(archive.read(orderEntry)).toString('ascii').trim() : 'little';
  if (byteOrder !== 'little') {
    throw new WeightsFileError(
      `${label} was written on a ${byteOrder}-endian machine; only little-endian files are read`,
    );
  }

  const storages = new Map<string, StorageRef>();
  const persistentLoad = (pid: unknown): StorageRef => {
    const items = pid instanceof PickleTuple ? pid.items : [];
    const [kind, type, key, , numel] = items;
    const valid =
      kind === 'storage' && type instanceof AllowedGlobal && typeof key === 'string' && typeof numel === 'number';
    if (!valid) {
      throw new WeightsFileError(`${label}: a persistent id is not a storage reference`);
    }
    const storageType = STORAGE_TYPES.get(type.name.slice('torch.'.length));
    if (!storageType) throw new WeightsFileError(`${label}: storage type ${type.name} is not read`);
    const entry = `${prefix}data/${key}`;
    const size = archive.size(entry);
    if (size === undefined) throw new WeightsFileError(`${label}: storage ${key} is missing from the archive`);
    // Checked before anything is allocated for it.
    if (numel < 0 || numel * storageType.bytes > size) {
      throw new WeightsFileError(`${label}: storage ${key} claims ${numel} values but holds ${size} bytes`);
    }
    const existing = storages.get(key);
    if (existing) return existing;
    const ref = new StorageRef(key, storageType.dtype, storageType.bytes, numel);
    storages.set(key, ref);
    return ref;
  };
  const options = { label, globals: torchGlobals(label), persistentLoad, build: acceptBuild };
  const root = readPickle(archive.read(pickleName), options);

  const cache = new Map<TensorRef, HostTensor>();
  const resolve = (value: unknown, path: string, depth = 0): unknown => {
    if (depth > 64) throw new WeightsFileError(`${label}: containers nest deeper than 64 levels at ${path}`);
    if (value instanceof TensorRef) {
      let tensor = cache.get(value);
      if (!tensor) {
        tensor = materialize(value, archive.read(`${prefix}data/${value.storage.key}`), `${label}: ${path}`);
        cache.set(value, tensor);
      }
      return tensor;
    }
    if (value instanceof Map) {
      return new Map([...value].map(([k, v]) => [k, resolve(v, path ? `${path}.${String(k)}` : String(k), depth + 1)]));
    }
    if (Array.isArray(value)) return value.map((v, i) => resolve(v, `${path}[${i}]`, depth + 1));
    if (value instanceof PickleTuple) {
      return new PickleTuple(value.items.map((v, i) => resolve(v, `${path}[${i}]`, depth + 1)));
    }
    return value;
  };
  return resolve(root, '');
}

/** An OrderedDict's `_metadata` (module versions) and a Parameter's state are kept out of the result. */
function acceptBuild(target: unknown, state: unknown): boolean {
  const settable = target instanceof Map || target instanceof TensorRef;
  return settable && (state === null || state instanceof Map || state instanceof PickleTuple);
}

function torchGlobals(label: string): Map<string, AllowedGlobal> {
  const globals = new Map<string, AllowedGlobal>();
  const add = (name: string, call?: (args: readonly unknown[]) => unknown): void => {
    globals.set(name, new AllowedGlobal(name, call));
  };
  for (const storage of STORAGE_TYPES.keys()) add(`torch.${storage}`);
  add('collections.OrderedDict', (args) => {
    const map = new Map<unknown, unknown>();
    const items = args[0];
    if (Array.isArray(items)) {
      for (const pair of items) {
        if (pair instanceof PickleTuple && pair.items.length === 2) map.set(pair.items[0], pair.items[1]);
      }
    }
    return map;
  });
  const rebuild = (args: readonly unknown[]): TensorRef => {
    const [storage, offset, size, stride] = args;
    const ints = (v: unknown): number[] | undefined =>
      v instanceof PickleTuple && v.items.every((d) => Number.isSafeInteger(d)) ? (v.items as number[]) : undefined;
    const shape = ints(size);
    const strides = ints(stride);
    if (!(storage instanceof StorageRef) || typeof offset !== 'number' || !shape || !strides) {
      throw new WeightsFileError(`${label}: a tensor rebuild has arguments of the wrong kinds`);
    }
    return new TensorRef(storage, offset, shape, strides);
  };
  add('torch._utils._rebuild_tensor', rebuild);
  add('torch._utils._rebuild_tensor_v2', rebuild);
  const parameter = (args: readonly unknown[]): unknown => {
    if (!(args[0] instanceof TensorRef)) throw new WeightsFileError(`${label}: a parameter rebuild without a tensor`);
    return args[0];
  };
  add('torch._utils._rebuild_parameter', parameter);
  add('torch._utils._rebuild_parameter_with_state', parameter);
  return globals;
}
