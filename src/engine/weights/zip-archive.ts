import * as zlib from 'node:zlib';
import { WeightsFileError } from './weights-error';

/**
 * The few parts of the zip format (PKWARE APPNOTE 6.3) that `torch.save` files need: the central
 * directory (with zip64 sizes and offsets), stored and deflated entries, and a writer of stored
 * entries. torch writes its entries uncompressed, so no zip library is needed to read them; every
 * size and offset read from the file is checked against the file's length before it is used.
 */
export interface ZipEntry {
  readonly name: string;
  readonly method: number;
  readonly compressedSize: number;
  readonly size: number;
  readonly localHeaderOffset: number;
  readonly crc: number;
}

const EOCD = 0x06054b50;
const EOCD64_LOCATOR = 0x07064b50;
const EOCD64 = 0x06064b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;

export class ZipArchive {
  private readonly byName = new Map<string, ZipEntry>();

  constructor(
    private readonly bytes: Uint8Array,
    private readonly label: string,
  ) {
    for (const entry of readCentralDirectory(bytes, label)) this.byName.set(entry.name, entry);
  }

  get names(): string[] {
    return [...this.byName.keys()];
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  size(name: string): number | undefined {
    return this.byName.get(name)?.size;
  }

  /** An entry's bytes (a view into the file for stored entries). */
  read(name: string): Uint8Array {
    const entry = this.byName.get(name);
    if (!entry) throw new WeightsFileError(`${this.label}: the archive has no entry ${name}`);
    const view = new DataView(this.bytes.buffer, this.bytes.byteOffset, this.bytes.byteLength);
    const at = entry.localHeaderOffset;
    if (at + 30 > this.bytes.length || view.getUint32(at, true) !== LOCAL) {
      throw new WeightsFileError(`${this.label}: ${name}'s local header is damaged`);
    }
    const start = at + 30 + view.getUint16(at + 26, true) + view.getUint16(at + 28, true);
    const end = start + entry.compressedSize;
    if (end > this.bytes.length) {
      throw new WeightsFileError(`${this.label}: ${name} runs past the end of the file (truncated?)`);
    }
    const raw = this.bytes.subarray(start, end);
    if (entry.method === 0) return this.checked(entry, raw);
    if (entry.method === 8) {
      const inflated = zlib.inflateRawSync(raw, { maxOutputLength: Math.max(1, entry.size) });
      if (inflated.length !== entry.size) {
        throw new WeightsFileError(
          `${this.label}: ${name} inflates to ${inflated.length} bytes, its header says ${entry.size}`,
        );
      }
      return this.checked(entry, inflated);
    }
    throw new WeightsFileError(
      `${this.label}: ${name} uses zip compression method ${entry.method}; only stored and deflated entries are read`,
    );
  }

  /** A damaged weight would otherwise load silently as a wrong number. */
  private checked(entry: ZipEntry, data: Uint8Array): Uint8Array {
    if (crc32(data) !== entry.crc) {
      throw new WeightsFileError(`${this.label}: ${entry.name} is damaged (its CRC-32 does not match)`);
    }
    return data;
  }
}

function readCentralDirectory(bytes: Uint8Array, label: string): ZipEntry[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // The end record sits in the last 22 bytes plus a comment of at most 65535.
  let eocd = -1;
  for (let i = bytes.length - 22; i >= Math.max(0, bytes.length - 22 - 65535); i--) {
    if (view.getUint32(i, true) === EOCD) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new WeightsFileError(`${label}: not a zip archive (no end-of-central-directory record)`);
  let count = view.getUint16(eocd + 10, true);
  let dirSize = view.getUint32(eocd + 12, true);
  let dirOffset = view.getUint32(eocd + 16, true);
  const locator = eocd - 20;
  if (locator >= 0 && view.getUint32(locator, true) === EOCD64_LOCATOR) {
    const at = safeNumber(view.getBigUint64(locator + 8, true), label);
    if (at + 56 > bytes.length || view.getUint32(at, true) !== EOCD64) {
      throw new WeightsFileError(`${label}: damaged zip64 end record`);
    }
    count = safeNumber(view.getBigUint64(at + 32, true), label);
    dirSize = safeNumber(view.getBigUint64(at + 40, true), label);
    dirOffset = safeNumber(view.getBigUint64(at + 48, true), label);
  }
  if (dirOffset + dirSize > bytes.length) {
    throw new WeightsFileError(`${label}: the zip directory runs past the end of the file (truncated?)`);
  }
  // A central record is at least 46 bytes: a count beyond that is a lie, not an allocation.
  if (count * 46 > dirSize) {
    throw new WeightsFileError(`${label}: the zip directory claims ${count} entries in ${dirSize} bytes`);
  }
  const entries: ZipEntry[] = [];
  let at = dirOffset;
  for (let i = 0; i < count; i++) {
    if (at + 46 > dirOffset + dirSize || view.getUint32(at, true) !== CENTRAL) {
      throw new WeightsFileError(`${label}: zip directory entry ${i} is damaged`);
    }
    const method = view.getUint16(at + 10, true);
    const crc = view.getUint32(at + 16, true);
    let compressedSize = view.getUint32(at + 20, true);
    let size = view.getUint32(at + 24, true);
    const nameLength = view.getUint16(at + 28, true);
    const extraLength = view.getUint16(at + 30, true);
    const commentLength = view.getUint16(at + 32, true);
    let localHeaderOffset = view.getUint32(at + 42, true);
    const next = at + 46 + nameLength + extraLength + commentLength;
    if (next > dirOffset + dirSize) {
      throw new WeightsFileError(`${label}: zip directory entry ${i} runs past the directory`);
    }
    const name = Buffer.from(bytes.buffer, bytes.byteOffset + at + 46, nameLength).toString('utf8');
    // Zip64: each field saturated at 0xffffffff is in the extra field, in this order.
    let extra = at + 46 + nameLength;
    const extraEnd = extra + extraLength;
    while (extra + 4 <= extraEnd) {
      const id = view.getUint16(extra, true);
      const length = view.getUint16(extra + 2, true);
      if (id === 1) {
        let field = extra + 4;
        const take = (): number => {
          if (field + 8 > extra + 4 + length) throw new WeightsFileError(`${label}: ${name}'s zip64 field is short`);
          const value = safeNumber(view.getBigUint64(field, true), label);
          field += 8;
          return value;
        };
        if (size === 0xffffffff) size = take();
        if (compressedSize === 0xffffffff) compressedSize = take();
        if (localHeaderOffset === 0xffffffff) localHeaderOffset = take();
      }
      extra += 4 + length;
    }
    if (localHeaderOffset + 30 + compressedSize > bytes.length) {
      throw new WeightsFileError(`${label}: ${name} runs past the end of the file (truncated?)`);
    }
    entries.push({ name, method, compressedSize, size, localHeaderOffset, crc });
    at = next;
  }
  return entries;
}

function safeNumber(value: bigint, label: string): number {
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw new WeightsFileError(`${label}: a zip64 size is out of range`);
  return Number(value);
}

/**
 * A zip of stored entries, each one's data aligned to 64 bytes (as torch aligns its storages, by
 * padding the local header's extra field), with zip64 records when the archive needs them.
 */
export function writeZip(entries: readonly { readonly name: string; readonly data: Uint8Array }[]): Uint8Array {
  const ALIGN = 64;
  const parts: Uint8Array[] = [];
  const central: Uint8Array[] = [];
  let offset = 0;
  for (const entry of entries) {
    const name = Buffer.from(entry.name, 'utf8');
    const crc = crc32(entry.data);
    const big = entry.data.length >= 0xffffffff || offset >= 0xffffffff;
    const zip64Local = big ? 20 : 0;
    const unpadded = offset + 30 + name.length + zip64Local + 4;
    const pad = (ALIGN - (unpadded % ALIGN)) % ALIGN;
    const extraLength = zip64Local + 4 + pad;
    const local = Buffer.alloc(30 + name.length + extraLength);
    local.writeUInt32LE(LOCAL, 0);
    local.writeUInt16LE(big ? 45 : 20, 4);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(big ? 0xffffffff : entry.data.length, 18);
    local.writeUInt32LE(big ? 0xffffffff : entry.data.length, 22);
    local.writeUInt16LE(name.length, 26);
    local.writeUInt16LE(extraLength, 28);
    name.copy(local, 30);
    let e = 30 + name.length;
    if (big) {
      local.writeUInt16LE(1, e);
      local.writeUInt16LE(16, e + 2);
      local.writeBigUInt64LE(BigInt(entry.data.length), e + 4);
      local.writeBigUInt64LE(BigInt(entry.data.length), e + 12);
      e += 20;
    }
    // A private padding field ("FB", as torch's writer names it) brings the data to the alignment.
    local.writeUInt16LE(0x4246, e);
    local.writeUInt16LE(pad, e + 2);
    const centralExtra = big ? 28 : 0;
    const record = Buffer.alloc(46 + name.length + centralExtra);
    record.writeUInt32LE(CENTRAL, 0);
    record.writeUInt16LE(big ? 45 : 20, 4);
    record.writeUInt16LE(big ? 45 : 20, 6);
    record.writeUInt32LE(crc, 16);
    record.writeUInt32LE(big ? 0xffffffff : entry.data.length, 20);
    record.writeUInt32LE(big ? 0xffffffff : entry.data.length, 24);
    record.writeUInt16LE(name.length, 28);
    record.writeUInt16LE(centralExtra, 30);
    record.writeUInt32LE(big ? 0xffffffff : offset, 42);
    name.copy(record, 46);
    if (big) {
      const c = 46 + name.length;
      record.writeUInt16LE(1, c);
      record.writeUInt16LE(24, c + 2);
      record.writeBigUInt64LE(BigInt(entry.data.length), c + 4);
      record.writeBigUInt64LE(BigInt(entry.data.length), c + 12);
      record.writeBigUInt64LE(BigInt(offset), c + 20);
    }
    parts.push(local, entry.data);
    central.push(record);
    offset += local.length + entry.data.length;
  }
  const dirOffset = offset;
  const dirSize = central.reduce((s, c) => s + c.length, 0);
  const needs64 = entries.length >= 0xffff || dirOffset >= 0xffffffff || dirSize >= 0xffffffff;
  const tail: Buffer[] = [];
  if (needs64) {
    const record = Buffer.alloc(56);
    record.writeUInt32LE(EOCD64, 0);
    record.writeBigUInt64LE(44n, 4);
    record.writeUInt16LE(45, 12);
    record.writeUInt16LE(45, 14);
    record.writeBigUInt64LE(BigInt(entries.length), 24);
    record.writeBigUInt64LE(BigInt(entries.length), 32);
    record.writeBigUInt64LE(BigInt(dirSize), 40);
    record.writeBigUInt64LE(BigInt(dirOffset), 48);
    const locator = Buffer.alloc(20);
    locator.writeUInt32LE(EOCD64_LOCATOR, 0);
    locator.writeBigUInt64LE(BigInt(dirOffset + dirSize), 8);
    locator.writeUInt32LE(1, 16);
    tail.push(record, locator);
  }
  const end = Buffer.alloc(22);
  end.writeUInt32LE(EOCD, 0);
  end.writeUInt16LE(Math.min(entries.length, 0xffff), 8);
  end.writeUInt16LE(Math.min(entries.length, 0xffff), 10);
  end.writeUInt32LE(Math.min(dirSize, 0xffffffff), 12);
  end.writeUInt32LE(Math.min(dirOffset, 0xffffffff), 16);
  tail.push(end);
  return Buffer.concat([...parts, ...central, ...tail]);
}

let crcTable: Uint32Array | undefined;

/** CRC-32 (IEEE) of the zip format; node:zlib's crc32 is missing from older Electron builds. */
function crc32(data: Uint8Array): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let crc = 0xffffffff;
  for (let i = 0; i < data.length; i++) crc = (crcTable[(crc ^ (data[i] as number)) & 0xff] as number) ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}
