import { elementCount, halfToFloat, shapeText, type HostTensor, type TensorDict } from './host-tensor';
import { WeightsFileError } from './weights-error';

/**
 * The safetensors format (huggingface/safetensors, docs "format"): an 8-byte little-endian header
 * length, a JSON header mapping each name to {dtype, shape, data_offsets: [begin, end]} relative
 * to the data that follows, and an optional "__metadata__" of strings; data little-endian, C order.
 */
const BYTES: Readonly<Record<string, number>> = {
  F64: 8,
  F32: 4,
  F16: 2,
  BF16: 2,
  I64: 8,
  I32: 4,
  I16: 2,
  I8: 1,
  U8: 1,
  BOOL: 1,
};
const NAMES: Readonly<Record<string, string>> = {
  F64: 'float64',
  F32: 'float32',
  F16: 'float16',
  BF16: 'bfloat16',
  I64: 'int64',
  I32: 'int32',
  I16: 'int16',
  I8: 'int8',
  U8: 'uint8',
  BOOL: 'bool',
};
const MAX_HEADER = 100 * 1024 * 1024;

interface HeaderEntry {
  readonly dtype: string;
  readonly shape: readonly number[];
  readonly data_offsets: readonly [number, number];
}

export function readSafetensors(bytes: Uint8Array, label: string): TensorDict {
  if (bytes.length < 8) throw new WeightsFileError(`${label} is too short to be a safetensors file`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = view.getBigUint64(0, true);
  if (headerLength > BigInt(Math.min(MAX_HEADER, bytes.length - 8))) {
    throw new WeightsFileError(`${label}: its header claims ${headerLength} bytes, more than the file holds`);
  }
  const dataStart = 8 + Number(headerLength);
  let header: Record<string, unknown>;
  try {
    const text = Buffer.from(bytes.buffer, bytes.byteOffset + 8, Number(headerLength)).toString('utf8');
    header = JSON.parse(text) as Record<string, unknown>;
  } catch (error) {
    throw new WeightsFileError(`${label}: its JSON header is damaged (${(error as Error).message})`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) {
    throw new WeightsFileError(`${label}: its header is not a JSON object`);
  }
  const tensors: TensorDict = new Map();
  for (const [name, value] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const entry = value as Partial<HeaderEntry>;
    const size = BYTES[entry.dtype ?? ''];
    if (size === undefined) {
      throw new WeightsFileError(`${label}: ${name} has type ${String(entry.dtype)}, which is not read`);
    }
    const shape = entry.shape;
    const offsets = entry.data_offsets;
    const goodShape = Array.isArray(shape) && shape.every((d) => Number.isSafeInteger(d) && d >= 0);
    if (!goodShape || !Array.isArray(offsets) || offsets.length !== 2) {
      throw new WeightsFileError(`${label}: ${name} has a malformed header entry`);
    }
    const [begin, end] = offsets as [number, number];
    const inside = Number.isSafeInteger(begin) && Number.isSafeInteger(end) && begin >= 0 && end >= begin;
    if (!inside || dataStart + end > bytes.length) {
      throw new WeightsFileError(`${label}: ${name}'s data [${begin}, ${end}) lies outside the file`);
    }
    if (end - begin !== elementCount(shape) * size) {
      throw new WeightsFileError(
        `${label}: ${name} has shape ${shapeText(shape)} of ${entry.dtype} but ${end - begin} bytes`,
      );
    }
    tensors.set(name, decode(bytes.subarray(dataStart + begin, dataStart + end), entry.dtype as string, shape));
  }
  return tensors;
}

function decode(raw: Uint8Array, dtype: string, shape: readonly number[]): HostTensor {
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const count = elementCount(shape);
  const data = new Float32Array(count);
  const size = BYTES[dtype] as number;
  for (let i = 0; i < count; i++) {
    const b = i * size;
    switch (dtype) {
      case 'F32':
        data[i] = view.getFloat32(b, true);
        break;
      case 'F64':
        data[i] = view.getFloat64(b, true);
        break;
      case 'F16':
        data[i] = halfToFloat(view.getUint16(b, true));
        break;
      case 'BF16': {
        data[i] = new Float32Array(new Uint32Array([view.getUint16(b, true) << 16]).buffer)[0] as number;
        break;
      }
      case 'I64':
        data[i] = Number(view.getBigInt64(b, true));
        break;
      case 'I32':
        data[i] = view.getInt32(b, true);
        break;
      case 'I16':
        data[i] = view.getInt16(b, true);
        break;
      case 'I8':
        data[i] = view.getInt8(b);
        break;
      default:
        data[i] = view.getUint8(b);
    }
  }
  return { shape: [...shape], data, dtype: NAMES[dtype] ?? dtype };
}

/** float32 tensors, except those whose dtype says int64 (BatchNorm's num_batches_tracked), in the given order. */
export function writeSafetensors(tensors: TensorDict, metadata: Readonly<Record<string, string>> = {}): Uint8Array {
  const header: Record<string, unknown> = Object.keys(metadata).length > 0 ? { __metadata__: metadata } : {};
  const chunks: Uint8Array[] = [];
  let offset = 0;
  for (const [name, t] of tensors) {
    const chunk = t.dtype === 'int64' ? int64Bytes(t.data) : new Uint8Array(Float32Array.from(t.data).buffer);
    const dtype = t.dtype === 'int64' ? 'I64' : 'F32';
    header[name] = { dtype, shape: t.shape, data_offsets: [offset, offset + chunk.length] };
    chunks.push(chunk);
    offset += chunk.length;
  }
  let json = Buffer.from(JSON.stringify(header), 'utf8');
  // The data starts 8-byte aligned, padded with spaces as the reference writer does.
  const padding = (8 - (json.length % 8)) % 8;
  if (padding) json = Buffer.concat([json, Buffer.from(' '.repeat(padding))]);
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(json.length));
  return Buffer.concat([length, json, ...chunks]);
}

export function int64Bytes(values: Float32Array): Uint8Array {
  const out = Buffer.alloc(values.length * 8);
  values.forEach((v, i) => out.writeBigInt64LE(BigInt(Math.round(v)), i * 8));
  return out;
}
