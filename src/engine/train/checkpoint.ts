import * as crypto from 'node:crypto';
import { FileReadError, READ_LIMITS, readFileBounded } from '../../core/workspace/read-bounded';
import type { ModelState } from '../model/classifier';
import { writeFileAtomic } from '../util/atomic-write';

/**
 * One file per checkpoint: "RLCK", a 4-byte little-endian header length, a JSON header (tensor
 * names, shapes and offsets, plus the caller's metadata), the float32 data, then (version 2) the
 * SHA-256 of everything before it. One file keeps the tensors and the metadata that describes them
 * from ever disagreeing; it is written atomically, and a flipped bit is caught when it is read.
 * Version 1 files (no digest) still load: they were written before the digest existed.
 */
const MAGIC = 'RLCK';
const VERSION = 2;
const DIGEST_BYTES = 32;

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
  const header = Buffer.from(JSON.stringify({ version: VERSION, meta, tensors: entries }), 'utf8');
  const body = 8 + header.length + offset * 4;
  const out = new Uint8Array(body + DIGEST_BYTES);
  out.set(Buffer.from(MAGIC, 'ascii'), 0);
  new DataView(out.buffer).setUint32(4, header.length, true);
  out.set(header, 8);
  const data = new Float32Array(offset);
  for (const e of entries) data.set(state.tensors.get(e.name)?.data ?? new Float32Array(e.length), e.offset);
  out.set(new Uint8Array(data.buffer), 8 + header.length);
  out.set(crypto.createHash('sha256').update(out.subarray(0, body)).digest(), body);
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
    bytes = readFileBounded(file, { maxBytes: READ_LIMITS.weights, what: 'checkpoint' });
  } catch (error) {
    const reason = error instanceof FileReadError ? error.detail : (error as Error).message;
    throw new CheckpointError(`cannot read checkpoint ${file}: ${reason}`);
  }
  if (bytes.length < 8 || bytes.toString('ascii', 0, 4) !== MAGIC)
    throw new CheckpointError(`${file} is not a Robustness Lens checkpoint`);
  const headerLength = bytes.readUInt32LE(4);
  if (8 + headerLength > bytes.length) throw new CheckpointError(`${file} is truncated (its header runs past the end)`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(bytes.toString('utf8', 8, 8 + headerLength));
  } catch {
    throw new CheckpointError(`${file} has a damaged header${digestNote(bytes)}`);
  }
  const header = checkedHeader(parsed, file, bytes);
  const dataStart = 8 + headerLength;
  const total = header.tensors.reduce((s, e) => Math.max(s, e.offset + e.length), 0);
  const body = dataStart + total * 4;
  const expected = body + (header.version >= 2 ? DIGEST_BYTES : 0);
  if (bytes.length < expected) {
    throw new CheckpointError(`${file} is truncated (${bytes.length} bytes, expected ${expected})`);
  }
  if (bytes.length > expected) {
    throw new CheckpointError(`${file} is damaged: ${bytes.length - expected} bytes past its end`);
  }
  if (header.version >= 2 && !digestMatches(bytes, body)) {
    throw new CheckpointError(
      `${file} is damaged: its SHA-256 checksum does not match its contents ` +
        '(a changed or corrupted file); resume from a copy, or train again',
    );
  }
  // Copy into an aligned buffer: the data's byte offset inside the file need not be a multiple of 4.
  const data = new Float32Array(total);
  new Uint8Array(data.buffer).set(bytes.subarray(dataStart, body));
  const tensors = new Map<string, { shape: readonly number[]; data: Float32Array }>();
  for (const e of header.tensors)
    tensors.set(e.name, { shape: e.shape, data: data.slice(e.offset, e.offset + e.length) });
  return { state: { tensors }, meta: header.meta };
}

function digestMatches(bytes: Buffer, body: number): boolean {
  const digest = crypto.createHash('sha256').update(bytes.subarray(0, body)).digest();
  return digest.equals(bytes.subarray(body, body + DIGEST_BYTES));
}

/** A damaged header of a version 2 file: say the checksum fails too, the clearer of the two. */
function digestNote(bytes: Buffer): string {
  const body = bytes.length - DIGEST_BYTES;
  return body > 8 && !digestMatches(bytes, body) ? ' (its SHA-256 checksum does not match either)' : '';
}

interface CheckpointHeader {
  readonly version: number;
  readonly meta: unknown;
  readonly tensors: readonly TensorEntry[];
}

const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

/** The header's structure: every tensor's shape agrees with its length, and names are unique. */
function checkedHeader(parsed: unknown, file: string, bytes: Buffer): CheckpointHeader {
  const bad = (why: string): CheckpointError =>
    new CheckpointError(`${file} has a damaged header: ${why}${digestNote(bytes)}`);
  if (typeof parsed !== 'object' || parsed === null) throw bad('not an object');
  const h = parsed as { version?: unknown; meta?: unknown; tensors?: unknown };
  if (h.version !== 1 && h.version !== VERSION) {
    throw isCount(h.version) && h.version > VERSION
      ? new CheckpointError(
          `${file} is a version ${h.version} checkpoint; ` + `this Robustness Lens reads versions 1 and ${VERSION}`,
        )
      : bad(`version ${JSON.stringify(h.version)}`);
  }
  if (!Array.isArray(h.tensors)) throw bad('no tensor list');
  const names = new Set<string>();
  for (const [i, e] of (h.tensors as unknown[]).entries()) {
    const t = e as Partial<TensorEntry> | null;
    if (typeof t !== 'object' || t === null || typeof t.name !== 'string') throw bad(`tensor ${i} has no name`);
    if (names.has(t.name)) throw bad(`tensor ${t.name} appears twice`);
    names.add(t.name);
    const shapeOk = Array.isArray(t.shape) && t.shape.every(isCount);
    if (!isCount(t.offset) || !isCount(t.length) || !shapeOk) {
      throw bad(`tensor ${t.name} has a bad offset, length or shape`);
    }
    const size = t.shape.reduce((p, d) => p * d, 1);
    if (size !== t.length) throw bad(`tensor ${t.name} has shape [${t.shape.join(', ')}] but ${t.length} values`);
  }
  return { version: h.version, meta: h.meta, tensors: h.tensors as TensorEntry[] };
}
