import { int64Bytes } from './safetensors';
import type { TensorDict } from './host-tensor';
import { writeZip } from './zip-archive';

/**
 * A state dict as `torch.save` writes it (zip format, pickle protocol 2): an OrderedDict of name
 * to `torch._utils._rebuild_tensor_v2(storage, 0, shape, contiguous stride, False, OrderedDict())`,
 * one storage per tensor under `<archive>/data/<n>`. `torch.load(path)` and
 * `model.load_state_dict(..., strict=True)` read it; float32 except int64 counters.
 */
export function torchStateDictFile(tensors: TensorDict, archive = 'archive'): Uint8Array {
  const pickle = new PickleWriter();
  const storages: { name: string; data: Uint8Array }[] = [];
  pickle.op(0x80, 2); // PROTO 2
  pickle.global('collections', 'OrderedDict');
  pickle.op(0x29, 0x52); // EMPTY_TUPLE, REDUCE
  pickle.op(0x28); // MARK
  let key = 0;
  for (const [name, t] of tensors) {
    const long = t.dtype === 'int64';
    const data = long ? int64Bytes(t.data) : new Uint8Array(Float32Array.from(t.data).buffer);
    storages.push({ name: `${archive}/data/${key}`, data });
    pickle.string(name);
    pickle.global('torch._utils', '_rebuild_tensor_v2');
    pickle.op(0x28); // MARK: the rebuild's arguments
    pickle.op(0x28); // MARK: the persistent id
    pickle.string('storage');
    pickle.global('torch', long ? 'LongStorage' : 'FloatStorage');
    pickle.string(String(key));
    pickle.string('cpu');
    pickle.int(t.data.length);
    pickle.op(0x74, 0x51); // TUPLE, BINPERSID
    pickle.int(0);
    pickle.tuple(t.shape);
    pickle.tuple(contiguousStride(t.shape));
    pickle.op(0x89); // NEWFALSE: requires_grad
    pickle.global('collections', 'OrderedDict');
    pickle.op(0x29, 0x52); // backward hooks: OrderedDict()
    pickle.op(0x74, 0x52); // TUPLE, REDUCE
    key += 1;
  }
  pickle.op(0x75, 0x2e); // SETITEMS, STOP
  return writeZip([
    { name: `${archive}/data.pkl`, data: pickle.bytes() },
    { name: `${archive}/byteorder`, data: Buffer.from('little') },
    ...storages,
    { name: `${archive}/version`, data: Buffer.from('3\n') },
  ]);
}

function contiguousStride(shape: readonly number[]): number[] {
  const stride = new Array<number>(shape.length).fill(1);
  for (let i = shape.length - 2; i >= 0; i--) stride[i] = (stride[i + 1] as number) * (shape[i + 1] as number);
  return stride;
}

class PickleWriter {
  private readonly chunks: Buffer[] = [];

  op(...codes: number[]): void {
    this.chunks.push(Buffer.from(codes));
  }

  global(module: string, name: string): void {
    this.chunks.push(Buffer.from(`c${module}\n${name}\n`, 'utf8'));
  }

  string(value: string): void {
    const text = Buffer.from(value, 'utf8');
    const head = Buffer.alloc(5);
    head[0] = 0x58; // BINUNICODE
    head.writeUInt32LE(text.length, 1);
    this.chunks.push(head, text);
  }

  int(value: number): void {
    if (value >= 0 && value < 256) return this.op(0x4b, value); // BININT1
    if (value >= 0 && value < 65536) return this.op(0x4d, value & 0xff, value >> 8); // BININT2
    if (value >= -(2 ** 31) && value < 2 ** 31) {
      const b = Buffer.alloc(5);
      b[0] = 0x4a; // BININT
      b.writeInt32LE(value, 1);
      this.chunks.push(b);
      return;
    }
    const b = Buffer.alloc(10);
    b[0] = 0x8a; // LONG1 of 8 bytes
    b[1] = 8;
    b.writeBigInt64LE(BigInt(value), 2);
    this.chunks.push(b);
  }

  tuple(values: readonly number[]): void {
    this.op(0x28);
    for (const v of values) this.int(v);
    this.op(0x74);
  }

  bytes(): Uint8Array {
    return Buffer.concat(this.chunks);
  }
}
