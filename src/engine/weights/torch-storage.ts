import { elementCount, halfToFloat, shapeText, type HostTensor } from './host-tensor';
import { WeightsFileError } from './weights-error';

const MAX_ELEMENTS = 2 ** 28;

/** The storage classes `torch.save` names in its persistent ids, with their element types. */
export const STORAGE_TYPES: ReadonlyMap<string, { readonly dtype: string; readonly bytes: number }> = new Map([
  ['FloatStorage', { dtype: 'float32', bytes: 4 }],
  ['DoubleStorage', { dtype: 'float64', bytes: 8 }],
  ['HalfStorage', { dtype: 'float16', bytes: 2 }],
  ['BFloat16Storage', { dtype: 'bfloat16', bytes: 2 }],
  ['LongStorage', { dtype: 'int64', bytes: 8 }],
  ['IntStorage', { dtype: 'int32', bytes: 4 }],
  ['ShortStorage', { dtype: 'int16', bytes: 2 }],
  ['CharStorage', { dtype: 'int8', bytes: 1 }],
  ['ByteStorage', { dtype: 'uint8', bytes: 1 }],
  ['BoolStorage', { dtype: 'bool', bytes: 1 }],
]);

/** One storage of a torch file: `data/<key>` in the archive, `numel` elements of `dtype`. */
export class StorageRef {
  constructor(
    readonly key: string,
    readonly dtype: string,
    readonly elementBytes: number,
    readonly numel: number,
  ) {}
}

/** A tensor as `_rebuild_tensor_v2` describes it: a strided view of a storage. */
export class TensorRef {
  constructor(
    readonly storage: StorageRef,
    readonly offset: number,
    readonly shape: readonly number[],
    readonly stride: readonly number[],
  ) {}
}

/** Reads a strided view of a storage's little-endian bytes as float32, checking the view stays inside. */
export function materialize(ref: TensorRef, bytes: Uint8Array, name: string): HostTensor {
  const { storage, offset, shape, stride } = ref;
  if (bytes.length < storage.numel * storage.elementBytes) {
    throw new WeightsFileError(
      `${name}: its storage holds ${bytes.length} bytes, fewer than ${storage.numel} ${storage.dtype} values`,
    );
  }
  const count = elementCount(shape);
  // Stride-0 (expanded) views may be larger than their storage, but not without bound.
  if (count > MAX_ELEMENTS) throw new WeightsFileError(`${name}: shape ${shapeText(shape)} has more than 2^28 values`);
  if (shape.length !== stride.length) {
    throw new WeightsFileError(`${name}: shape ${shapeText(shape)} and stride ${shapeText(stride)} differ in rank`);
  }
  const last = count === 0 ? offset : shape.reduce((s, d, i) => s + (d - 1) * (stride[i] as number), offset);
  if (offset < 0 || stride.some((s) => s < 0) || (count > 0 && last >= storage.numel)) {
    throw new WeightsFileError(
      `${name}: the view (offset ${offset}, shape ${shapeText(shape)}, stride ${shapeText(stride)}) ` +
        `reaches outside its storage of ${storage.numel} values`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const read = reader(storage.dtype, view);
  const data = new Float32Array(count);
  const index = new Array<number>(shape.length).fill(0);
  let source = offset;
  for (let i = 0; i < count; i++) {
    data[i] = read(source * storage.elementBytes);
    // Odometer over the shape, moving `source` by each axis's stride.
    for (let axis = shape.length - 1; axis >= 0; axis--) {
      index[axis] = (index[axis] as number) + 1;
      source += stride[axis] as number;
      if ((index[axis] as number) < (shape[axis] as number)) break;
      source -= (shape[axis] as number) * (stride[axis] as number);
      index[axis] = 0;
    }
  }
  return { shape: [...shape], data, dtype: storage.dtype };
}

function reader(dtype: string, view: DataView): (byte: number) => number {
  switch (dtype) {
    case 'float32':
      return (b) => view.getFloat32(b, true);
    case 'float64':
      return (b) => view.getFloat64(b, true);
    case 'float16':
      return (b) => halfToFloat(view.getUint16(b, true));
    case 'bfloat16': {
      const scratch = new DataView(new ArrayBuffer(4));
      return (b) => {
        scratch.setUint32(0, view.getUint16(b, true) << 16, true);
        return scratch.getFloat32(0, true);
      };
    }
    case 'int64':
      return (b) => Number(view.getBigInt64(b, true));
    case 'int32':
      return (b) => view.getInt32(b, true);
    case 'int16':
      return (b) => view.getInt16(b, true);
    case 'int8':
      return (b) => view.getInt8(b);
    case 'uint8':
    case 'bool':
      return (b) => view.getUint8(b);
    default:
      throw new WeightsFileError(`tensors of type ${dtype} are not read`);
  }
}
