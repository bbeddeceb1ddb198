/**
 * The torch worker's frames (python/robustness_lens_worker/frames.py; the two agree byte for
 * byte): 'RLTW', the header's length (u32 LE), the payload's length (u64 LE), a JSON header, then
 * the raw little-endian arrays its `arrays` list names, in order. Numbers never travel as JSON.
 * Writers pad the header with spaces so the payload starts 8-aligned within the frame: the reader
 * then views the arrays where they arrived instead of copying each one to an aligned buffer.
 */

export const MAGIC = 'RLTW';
const PREFIX_BYTES = 16;
const ALIGN = 8;
const MAX_HEADER = 1 << 20;
const MAX_PAYLOAD = 4 * 2 ** 30;

export type WireArray = Float32Array | Int32Array;

export interface ArraySpec {
  readonly name: string;
  readonly dtype: 'f32' | 'i32';
  readonly shape: readonly number[];
}

export type Header = Readonly<Record<string, unknown>>;

export interface Frame {
  readonly header: Header;
  readonly arrays: ReadonlyMap<string, { readonly shape: readonly number[]; readonly data: WireArray }>;
}

export class FrameError extends Error {}

/** One frame's bytes: the arrays are copied once, into the buffer handed to the pipe. */
export function encodeFrame(
  header: Header,
  arrays: readonly (readonly [string, WireArray, readonly number[]])[],
): Buffer {
  const specs: ArraySpec[] = arrays.map(([name, data, shape]) => {
    const count = shape.reduce((a, b) => a * b, 1);
    if (count !== data.length) throw new FrameError(`${name}: ${data.length} values for shape [${shape.join(', ')}]`);
    return { name, dtype: data instanceof Int32Array ? 'i32' : 'f32', shape: [...shape] };
  });
  const text = JSON.stringify({ ...header, arrays: specs });
  const padding = (ALIGN - ((PREFIX_BYTES + Buffer.byteLength(text, 'utf8')) % ALIGN)) % ALIGN;
  const json = Buffer.from(text + ' '.repeat(padding), 'utf8');
  const payload = arrays.reduce((sum, [, data]) => sum + data.byteLength, 0);
  const out = Buffer.allocUnsafe(PREFIX_BYTES + json.length + payload);
  out.write(MAGIC, 0, 'latin1');
  out.writeUInt32LE(json.length, 4);
  out.writeBigUInt64LE(BigInt(payload), 8);
  json.copy(out, PREFIX_BYTES);
  let offset = PREFIX_BYTES + json.length;
  for (const [, data] of arrays) {
    // Typed arrays are in the host's byte order; every platform Node runs on is little-endian.
    out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), offset);
    offset += data.byteLength;
  }
  return out;
}

/**
 * Cuts frames out of a byte stream as its chunks arrive. Throws FrameError on bytes that are not
 * a frame (after which the stream cannot be trusted).
 */
export class FrameReader {
  private chunks: Buffer[] = [];
  private buffered = 0;

  push(chunk: Buffer): Frame[] {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    const frames: Frame[] = [];
    for (;;) {
      if (this.buffered < PREFIX_BYTES) return frames;
      const head = this.peek(PREFIX_BYTES);
      if (head.toString('latin1', 0, 4) !== MAGIC)
        throw new FrameError(`a frame must start with ${MAGIC}, not ${JSON.stringify(head.toString('latin1', 0, 4))}`);
      const headerBytes = head.readUInt32LE(4);
      const payloadBytes = Number(head.readBigUInt64LE(8));
      if (headerBytes > MAX_HEADER || payloadBytes > MAX_PAYLOAD)
        throw new FrameError(`a frame of ${headerBytes} + ${payloadBytes} bytes is over the limits`);
      const total = PREFIX_BYTES + headerBytes + payloadBytes;
      if (this.buffered < total) return frames;
      const bytes = this.take(total);
      frames.push(
        decodeFrame(
          bytes.subarray(PREFIX_BYTES, PREFIX_BYTES + headerBytes),
          bytes.subarray(PREFIX_BYTES + headerBytes),
        ),
      );
    }
  }

  private peek(n: number): Buffer {
    if ((this.chunks[0]?.length ?? 0) < n) this.chunks = [Buffer.concat(this.chunks)];
    return (this.chunks[0] as Buffer).subarray(0, n);
  }

  private take(n: number): Buffer {
    const all = this.chunks.length === 1 ? (this.chunks[0] as Buffer) : Buffer.concat(this.chunks);
    const rest = all.subarray(n);
    this.chunks = rest.length ? [rest] : [];
    this.buffered = rest.length;
    return all.subarray(0, n);
  }
}

function decodeFrame(headerBytes: Buffer, payload: Buffer): Frame {
  let header: unknown;
  try {
    header = JSON.parse(headerBytes.toString('utf8'));
  } catch (error) {
    throw new FrameError(`the frame header is not JSON: ${(error as Error).message}`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header))
    throw new FrameError('the frame header must be a JSON object');
  const specs = (header as { arrays?: unknown }).arrays ?? [];
  if (!Array.isArray(specs)) throw new FrameError('"arrays" must be a list');
  const arrays = new Map<string, { shape: readonly number[]; data: WireArray }>();
  let offset = 0;
  for (const spec of specs as unknown[]) {
    const { name, dtype, shape } = (spec ?? {}) as Partial<ArraySpec>;
    if (typeof name !== 'string' || arrays.has(name))
      throw new FrameError(`array name ${String(name)} is missing or repeated`);
    if (dtype !== 'f32' && dtype !== 'i32') throw new FrameError(`${name}: dtype ${String(dtype)} is not f32 or i32`);
    if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0))
      throw new FrameError(`${name}: the shape is not a list of sizes`);
    const count = shape.reduce((a, b) => a * b, 1);
    const bytes = count * 4;
    if (offset + bytes > payload.length)
      throw new FrameError(
        `${name}: [${shape.join(', ')}] needs ${bytes} bytes, the payload has ${payload.length - offset} left`,
      );
    arrays.set(name, { shape, data: wireArray(dtype, payload.subarray(offset, offset + bytes)) });
    offset += bytes;
  }
  if (offset !== payload.length)
    throw new FrameError(`the payload has ${payload.length - offset} bytes no array claims`);
  return { header: header as Header, arrays };
}

/**
 * The bytes as an array: a view where they sit 4-aligned (a padded frame read whole), else a copy
 * (a typed array cannot start at an unaligned offset). A view keeps alive the memory the frame was
 * read into: the frame itself, or the one pipe read (64 KiB at most) a small frame arrived in.
 */
function wireArray(dtype: 'f32' | 'i32', bytes: Buffer): WireArray {
  let buffer = bytes.buffer;
  let offset = bytes.byteOffset;
  if (offset % 4 !== 0) {
    buffer = new ArrayBuffer(bytes.length);
    new Uint8Array(buffer).set(bytes);
    offset = 0;
  }
  const count = bytes.length / 4;
  return dtype === 'f32' ? new Float32Array(buffer, offset, count) : new Int32Array(buffer, offset, count);
}
