import type { ModelState } from '../model/classifier';
import { readModelJson, readWeightFiles } from '../tfjs/model-json-files';
import { UnsupportedModelError } from '../tfjs/unsupported-model-error';
import { elementCount, halfToFloat } from './host-tensor';

/** What a TF.js weights manifest says of one tensor (tfjs's WeightsManifestEntry, the fields we read). */
interface ManifestEntry {
  readonly name: string;
  readonly shape: readonly number[];
  readonly dtype: string;
  readonly quantization?: { readonly dtype?: string; readonly scale?: number; readonly min?: number };
}

const BYTES: Readonly<Record<string, number>> = { float32: 4, int32: 4, bool: 1, uint8: 1, uint16: 2, float16: 2 };

/**
 * The weights of a TF.js layers model (model.json's weightsManifest and its .bin shards) as host
 * arrays keyed by the manifest's names, the names the tfjs classifier's `getState()` gives them,
 * read without tfjs. The shards are read as model-json-files.ts reads them for tfjs (bounded,
 * inside the model's folder); values are little-endian float32, int32 or bool, or quantised as
 * tfjs writes them (uint8/uint16 with a scale and minimum, or float16).
 */
export function readModelJsonWeights(modelJson: string): ModelState {
  const json = readModelJson(modelJson);
  if (!json.weightsManifest) throw new UnsupportedModelError(`${modelJson} has no weightsManifest`);
  const { specs, data } = readWeightFiles(modelJson, json.weightsManifest);
  const view = new DataView(data);
  const tensors = new Map<string, { shape: readonly number[]; data: Float32Array }>();
  let offset = 0;
  for (const spec of specs as unknown as readonly ManifestEntry[]) {
    const shape = Array.isArray(spec.shape) ? spec.shape : [];
    const n = elementCount(shape);
    const stored = spec.quantization?.dtype ?? spec.dtype;
    const width = BYTES[stored];
    if (width === undefined || !Number.isSafeInteger(n) || n < 0 || shape.some((d) => !Number.isSafeInteger(d))) {
      throw new UnsupportedModelError(
        `${modelJson}: weight ${String(spec.name)} is ${stored} of shape [${shape.join(', ')}], which is not read`,
      );
    }
    if (offset + n * width > data.byteLength)
      throw new UnsupportedModelError(`${modelJson}: the weight files end inside ${spec.name}`);
    const values = new Float32Array(n);
    const scale = spec.quantization?.scale ?? 1;
    const min = spec.quantization?.min ?? 0;
    for (let i = 0; i < n; i++) {
      const at = offset + i * width;
      switch (stored) {
        case 'float32':
          values[i] = view.getFloat32(at, true);
          break;
        case 'int32':
          values[i] = view.getInt32(at, true);
          break;
        case 'bool':
          values[i] = view.getUint8(at) ? 1 : 0;
          break;
        case 'float16':
          values[i] = halfToFloat(view.getUint16(at, true));
          break;
        case 'uint16':
          values[i] = view.getUint16(at, true) * scale + min;
          break;
        default:
          values[i] = view.getUint8(at) * scale + min;
      }
    }
    offset += n * width;
    tensors.set(spec.name, { shape: [...shape], data: values });
  }
  return { tensors };
}
