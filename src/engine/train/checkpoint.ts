import * as fs from 'node:fs';
import type { ModelState } from '../model/classifier';
import { writeFileAtomic } from '../util/atomic-write';

/**
 * One file per checkpoint: "RLCK", a 4-byte little-endian header length, a JSON header (tensor
 * names, shapes and offsets, plus the caller's metadata), then the float32 data. One file keeps
 * the tensors and the metadata that describes them from ever disagreeing; it is written atomically.
 */
const MAGIC = 'RLCK';

interface TensorEntry {
  readonly name: string;
  readonly shape: readonly number[];
  readonly offset: number;
  readonly length: number;
}

export function writeCheckpoint(file: string, state: ModelState, meta: unknown): void {
  const entries: TensorEntry[] = [];
  let offset = 0;
  for (const [name, t] of state.tensors) {
    entries.push({ name, shape: t.shape, offset, length: t.data.length });
    offset += t.data.length;
  }
  const header = Buffer.from(JSON.stringify({ version: 1, meta, tensors: entries }), 'utf8');
  const out = new Uint8Array(8 + header.length + offset * 4);
  out.set(Buffer.from(MAGIC, 'ascii'), 0);
  new DataView(out.buffer).setUint32(4, header.length, true);
  out.set(header, 8);
  const data = new Float32Array(offset);
  for (const e of entries) data.set(state.tensors.get(e.name)?.data ?? new Float32Array(e.length), e.offset);
  out.set(new Uint8Array(data.buffer), 8 + header.length);
  writeFileAtomic(file, out);
}

export class CheckpointError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CheckpointError';
  }
}

export function readCheckpoint(file: string): { state: ModelState; meta: unknown } {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch (error) {
    throw new CheckpointError(`cannot read checkpoint ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  if (bytes.length < 8 || bytes.toString('ascii', 0, 4) !== MAGIC) throw new CheckpointError(`${file} is not a Robustness Lens checkpoint`);
  const headerLength = bytes.readUInt32LE(4);
  if (8 + headerLength > bytes.length) throw new CheckpointError(`${file} is truncated (its header runs past the end)`);
  let header: { meta: unknown; tensors: TensorEntry[] };
  try {
    header = JSON.parse(bytes.toString('utf8', 8, 8 + headerLength)) as { meta: unknown; tensors: TensorEntry[] };
  } catch {
    throw new CheckpointError(`${file} has a damaged header`);
  }
  const dataStart = 8 + headerLength;
  const total = header.tensors.reduce((s, e) => Math.max(s, e.offset + e.length), 0);
  if (dataStart + total * 4 > bytes.length) throw new CheckpointError(`${file} is truncated (${bytes.length} bytes, expected ${dataStart + total * 4})`);
  // Copy into an aligned buffer: the data's byte offset inside the file need not be a multiple of 4.
  const data = new Float32Array(total);
  new Uint8Array(data.buffer).set(bytes.subarray(dataStart, dataStart + total * 4));
  const tensors = new Map<string, { shape: readonly number[]; data: Float32Array }>();
  for (const e of header.tensors) tensors.set(e.name, { shape: e.shape, data: data.slice(e.offset, e.offset + e.length) });
  return { state: { tensors }, meta: header.meta };
}
