import * as fs from 'node:fs';
import * as path from 'node:path';

/** Codes of a full disk or an exhausted quota: the user frees space, the data is not at fault. */
const FULL_CODES = new Set(['ENOSPC', 'EDQUOT']);

/** A write that found no room; the file it was replacing, if any, is untouched. */
export class DiskFullError extends Error {
  readonly path: string;
  readonly code: string;

  constructor(file: string, code: string) {
    super(`disk full: ${file} (${code}: no space left on the device; the file it would replace is unchanged)`);
    this.name = 'DiskFullError';
    this.path = file;
    this.code = code;
  }
}

export function isDiskFull(error: unknown): error is NodeJS.ErrnoException {
  return FULL_CODES.has((error as NodeJS.ErrnoException | undefined)?.code ?? '');
}

/** `error` as a DiskFullError naming `file` when the disk was full, else unchanged. */
export function asDiskFull(error: unknown, file: string): unknown {
  if (error instanceof DiskFullError) return error;
  return isDiskFull(error) ? new DiskFullError(file, error.code ?? 'ENOSPC') : error;
}

/** Where `writeFileAtomic` stages `file`; `isTemporaryFile` recognises the name. */
function temporaryName(file: string): string {
  return `${file}.${process.pid}.${Date.now()}.tmp`;
}

const TEMPORARY = /\.(\d+)\.\d+\.tmp$/;

export function isTemporaryFile(name: string): boolean {
  return TEMPORARY.test(name);
}

/** Whether a process of that id runs (a process of another user counts: it exists). */
export function processAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes the staging files that writers killed mid-write left in `dir` (those whose process no
 * longer runs; a live writer's are its own business). Returns the names removed.
 */
export function removeStaleTemporaries(dir: string): string[] {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    const m = TEMPORARY.exec(name);
    if (!m) continue;
    const pid = Number(m[1]);
    if (pid === process.pid || processAlive(pid)) continue;
    try {
      fs.unlinkSync(path.join(dir, name));
      removed.push(name);
    } catch {
      // Gone already, or not ours to remove: either way nothing to report.
    }
  }
  return removed;
}

/** Writes all of `bytes`: `writeSync` may write fewer bytes than asked (a full disk, a signal). */
function writeAll(fd: number, bytes: Uint8Array, file: string): void {
  let done = 0;
  while (done < bytes.length) {
    const n = fs.writeSync(fd, bytes, done, bytes.length - done);
    // No progress and no error is how some file systems report a full disk.
    if (n <= 0) throw new DiskFullError(file, 'ENOSPC');
    done += n;
  }
}

/** Flushes a folder's entries, so a rename survives a power cut; not every platform allows it. */
function syncFolder(dir: string): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch {
    // Windows cannot open folders; the rename itself is still atomic there.
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/**
 * Writes a file so that a reader (or a resumed run after a crash) sees either the old content or
 * the new one, never a torn write: a temporary file beside it, every byte checked, flushed, then
 * renamed over it. A full disk throws DiskFullError and leaves the old file as it was.
 */
export function writeFileAtomic(file: string, data: string | Uint8Array): void {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  const dir = path.dirname(file);
  const temporary = temporaryName(file);
  let renamed = false;
  try {
    fs.mkdirSync(dir, { recursive: true });
    const fd = fs.openSync(temporary, 'w');
    try {
      writeAll(fd, bytes, file);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    // A file system that lies about short writes is caught here, before the old file is replaced.
    const size = fs.statSync(temporary).size;
    if (size !== bytes.length) throw new DiskFullError(file, 'ENOSPC');
    fs.renameSync(temporary, file);
    renamed = true;
    syncFolder(dir);
  } catch (error) {
    if (!renamed) fs.rmSync(temporary, { force: true });
    throw asDiskFull(error, file);
  }
}

export function writeJsonAtomic(file: string, value: unknown): void {
  writeFileAtomic(file, `${JSON.stringify(value, null, 2)}\n`);
}
