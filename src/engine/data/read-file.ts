import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { FileReadError, READ_LIMITS, readFileBounded } from '../../core/workspace/read-bounded';
import { formatCount, MAX_INFLATED_BYTES } from './data-limits';
import { DatasetError } from './dataset-error';

export interface DataFileOptions {
  /** Largest size a gzipped file may inflate to, when `inflatedSize` does not say. */
  readonly maxInflated?: number;
  /**
   * The exact size the file's content must have, read from its first bytes (a format's header):
   * a gzipped file is then inflated to at most that many bytes, so a small file that claims a
   * little and inflates to gigabytes is stopped at what it claimed. Throws for a bad header.
   */
  readonly inflatedSize?: (head: Uint8Array) => number;
}

/** The raw bytes of a data file: a regular file (or a link to one), at most READ_LIMITS.data. */
export function readRawDataFile(file: string, maxBytes: number = READ_LIMITS.data): Buffer {
  try {
    return readFileBounded(file, { maxBytes, what: 'data file' });
  } catch (error) {
    if (!(error instanceof FileReadError)) throw error;
    throw new DatasetError(
      `${file}: cannot read the file (${error.reason === 'missing' ? 'it does not exist' : error.detail})`,
      file,
    );
  }
}

/**
 * The bytes of a data file, gunzipped when they start with gzip's magic bytes: data sets are
 * commonly shipped gzipped (MNIST's `*.gz`), and looking at the content rather than the name
 * also reads a gzipped file that was renamed without its `.gz`. Inflation is bounded (see
 * DataFileOptions) before any output is allocated.
 */
export function readDataFile(file: string, options: DataFileOptions = {}): Buffer {
  const bytes = readRawDataFile(file);
  if (bytes.length < 2 || bytes[0] !== 0x1f || bytes[1] !== 0x8b) return bytes;
  const damaged = (error: unknown): DatasetError => {
    const reason = error instanceof Error ? error.message : String(error);
    return new DatasetError(
      `${file}: the gzip data is damaged or cut short (${reason}); download the file again`,
      file,
    );
  };
  let limit = options.maxInflated ?? MAX_INFLATED_BYTES;
  if (options.inflatedSize) {
    let head: Buffer;
    try {
      head = inflateHead(bytes);
    } catch (error) {
      throw damaged(error);
    }
    limit = options.inflatedSize(head);
  }
  try {
    // One byte over the limit tells "exactly the size" from "more than it".
    return zlib.gunzipSync(bytes, { maxOutputLength: Math.max(1, limit + 1) }).subarray(0, limit + 1);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE' || error instanceof RangeError) {
      const what = options.inflatedSize ? 'its header declares' : 'a data file may hold';
      throw new DatasetError(
        `${file}: the gzip data inflates to more than the ${formatCount(limit)} bytes ` +
          `${what}; it is not read (a damaged file, or a decompression bomb)`,
        file,
      );
    }
    throw damaged(error);
  }
}

/**
 * The first inflated bytes of a gzip file, from a prefix of its compressed bytes: deflate expands
 * at most about 1032:1, so 64 KiB of input cannot yield more than about 66 MB, and 4 KiB is
 * nearly always enough for a header.
 */
function inflateHead(bytes: Buffer): Buffer {
  let head = Buffer.alloc(0);
  for (const prefix of [4096, 65536]) {
    head = zlib.gunzipSync(bytes.subarray(0, prefix), { finishFlush: zlib.constants.Z_SYNC_FLUSH });
    if (head.length >= 64 || prefix >= bytes.length) break;
  }
  return head;
}

/** Lists a folder's entries, or says plainly why it cannot. */
export function readFolder(dir: string): fs.Dirent[] {
  try {
    return fs.readdirSync(dir, { withFileTypes: true });
  } catch (error) {
    throw new DatasetError(`${dir}: cannot list the folder (${describeFsError(error)})`, dir);
  }
}

/** What an entry is, following symbolic links: data sets are often linked in from elsewhere. */
export function entryKind(dir: string, entry: fs.Dirent): 'file' | 'folder' | 'other' {
  if (entry.isFile()) return 'file';
  if (entry.isDirectory()) return 'folder';
  if (!entry.isSymbolicLink()) return 'other';
  try {
    const target = fs.statSync(path.join(dir, entry.name));
    return target.isFile() ? 'file' : target.isDirectory() ? 'folder' : 'other';
  } catch {
    return 'other';
  }
}

function describeFsError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT') return 'it does not exist';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'EISDIR') return 'it is a folder, not a file';
  if (code === 'ENOTDIR') return 'it is a file, not a folder';
  return error instanceof Error ? error.message : String(error);
}
