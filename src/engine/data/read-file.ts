import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { DatasetError } from './dataset-error';

/**
 * The bytes of a data file, gunzipped when they start with gzip's magic bytes: data sets are
 * commonly shipped gzipped (MNIST's `*.gz`), and looking at the content rather than the name
 * also reads a gzipped file that was renamed without its `.gz`.
 */
export function readDataFile(file: string): Buffer {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch (error) {
    throw new DatasetError(`${file}: cannot read the file (${describeFsError(error)})`, file);
  }
  if (bytes.length < 2 || bytes[0] !== 0x1f || bytes[1] !== 0x8b) return bytes;
  try {
    return zlib.gunzipSync(bytes);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new DatasetError(`${file}: the gzip data is damaged or cut short (${reason}); download the file again`, file);
  }
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
