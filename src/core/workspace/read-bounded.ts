import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * The one way files a user (or a committed workspace) controls are read. A path can name a FIFO,
 * a device (`/dev/zero`), a socket or a link to one, and plain `readFileSync` then blocks or
 * reads without end; it can also be a link or `../` that leads out of the folder it was found in.
 * Here every read checks what it opens first: a regular file (a link only when it ends at one),
 * inside `root` when one is given, no larger than `maxBytes`, then read on the descriptor in a
 * loop that stops at the limit even if the file grows meanwhile.
 */

/** Per-kind size limits: what such a file can reasonably be, with room to spare. */
export const READ_LIMITS = {
  /** robustness-lens.toml, pyproject.toml, .gitignore. */
  config: 1024 * 1024,
  /** Hand-written model descriptions (same as MAX_MODEL_FILE_BYTES). */
  model: 4 * 1024 * 1024,
  /** A TF.js model.json (topology and manifest, no weights). */
  modelJson: 64 * 1024 * 1024,
  /** A run folder's config.json, environment.json, result.json. */
  run: 64 * 1024 * 1024,
  /** One image of an image-folder data set. */
  image: 64 * 1024 * 1024,
  /** One file of a data set (IDX, CIFAR batch), before any gunzip. */
  data: 1024 * 1024 * 1024,
  /** One TF.js weight shard or checkpoint. */
  weights: 2 * 1024 * 1024 * 1024,
} as const;

export type ReadFailure = 'missing' | 'not-regular' | 'too-large' | 'outside-root' | 'unreadable';

/** Why a bounded read refused or failed; `message` names the path and says what to do. */
export class FileReadError extends Error {
  /** The message without the leading path, for diagnostics that carry the path apart. */
  readonly detail: string;

  /** `size`: the file's size, for a file refused as too large. */
  constructor(
    readonly file: string,
    readonly reason: ReadFailure,
    detail: string,
    readonly size?: number,
  ) {
    super(`${file}: ${detail}`);
    this.detail = detail;
    this.name = 'FileReadError';
  }
}

export interface BoundedReadOptions {
  /** Largest size accepted, in bytes. */
  readonly maxBytes: number;
  /** When given, the file (after following links) must lie inside this folder. */
  readonly root?: string;
  /** What the file is, for messages ("configuration file", "weight file"). */
  readonly what?: string;
}

function kindOf(stat: fs.Stats): string {
  if (stat.isDirectory()) return 'a folder';
  if (stat.isFIFO()) return 'a named pipe (FIFO)';
  if (stat.isCharacterDevice()) return 'a character device';
  if (stat.isBlockDevice()) return 'a block device';
  if (stat.isSocket()) return 'a socket';
  return 'not a regular file';
}

function sizeText(bytes: number): string {
  if (bytes < 1024 * 1024) return `${bytes.toLocaleString('en-US')} bytes`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
}

function errnoReason(error: unknown): { reason: ReadFailure; text: string } {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT') return { reason: 'missing', text: 'does not exist' };
  if (code === 'ENOTDIR') return { reason: 'missing', text: 'does not exist (a part of its path is a file)' };
  if (code === 'ELOOP') return { reason: 'not-regular', text: 'is a loop of symbolic links' };
  if (code === 'EACCES' || code === 'EPERM') return { reason: 'unreadable', text: 'cannot be read: permission denied' };
  return { reason: 'unreadable', text: `cannot be read (${error instanceof Error ? error.message : String(error)})` };
}

function isInside(root: string, file: string): boolean {
  const relative = path.relative(root, file);
  return relative !== '' && !relative.startsWith('..') && !path.isAbsolute(relative);
}

/** The real path of a regular file that may be read under `options`, or a FileReadError. */
export function checkReadable(file: string, options: BoundedReadOptions): { real: string; stat: fs.Stats } {
  const what = options.what ?? 'file';
  let stat: fs.Stats;
  let real: string;
  try {
    stat = fs.lstatSync(file);
    real = fs.realpathSync(file);
    if (stat.isSymbolicLink()) stat = fs.statSync(real);
  } catch (error) {
    const { reason, text } = errnoReason(error);
    throw new FileReadError(file, reason, text);
  }
  const via = real === path.resolve(file) ? '' : ` (it leads to ${real})`;
  if (!stat.isFile()) {
    throw new FileReadError(
      file,
      'not-regular',
      `is ${kindOf(stat)}${via}, not a regular file; a ${what} is not read from it`,
    );
  }
  if (options.root !== undefined) {
    let realRoot: string;
    try {
      realRoot = fs.realpathSync(options.root);
    } catch (error) {
      throw new FileReadError(file, errnoReason(error).reason, `its folder ${options.root} ${errnoReason(error).text}`);
    }
    if (!isInside(realRoot, real)) {
      throw new FileReadError(
        file,
        'outside-root',
        `is outside ${options.root}${via}; a ${what} must lie inside that folder`,
      );
    }
  }
  if (stat.size > options.maxBytes) {
    const limit = sizeText(options.maxBytes);
    throw new FileReadError(
      file,
      'too-large',
      `is ${sizeText(stat.size)}; a ${what} is limited to ${limit}, so it is not read`,
      stat.size,
    );
  }
  return { real, stat };
}

// Where the platform has them: never follow a link swapped in after the check, never block in
// open() on a FIFO swapped in after the check.
const OPEN_FLAGS = fs.constants.O_RDONLY | (fs.constants.O_NOFOLLOW ?? 0) | (fs.constants.O_NONBLOCK ?? 0);

/** The bytes of a regular file, read on its descriptor up to the limit (see the file's comment). */
export function readFileBounded(file: string, options: BoundedReadOptions): Buffer {
  const { real, stat } = checkReadable(file, options);
  let fd: number;
  try {
    fd = fs.openSync(real, OPEN_FLAGS);
  } catch (error) {
    const { reason, text } = errnoReason(error);
    throw new FileReadError(file, reason, text);
  }
  try {
    const opened = fs.fstatSync(fd);
    if (!opened.isFile() || opened.ino !== stat.ino || opened.dev !== stat.dev) {
      throw new FileReadError(file, 'not-regular', 'changed while it was being opened; it is not read');
    }
    return readLoop(fd, file, Math.min(opened.size, options.maxBytes), options);
  } finally {
    fs.closeSync(fd);
  }
}

function readLoop(fd: number, file: string, expected: number, options: BoundedReadOptions): Buffer {
  // One byte past the expected size tells a file that grew since fstat from one that did not.
  let buffer = Buffer.allocUnsafe(Math.min(expected + 1, options.maxBytes + 1));
  let length = 0;
  for (;;) {
    if (length === buffer.length) {
      if (length > options.maxBytes) {
        throw new FileReadError(
          file,
          'too-large',
          `grew past ${sizeText(options.maxBytes)} while it was read; it is not read`,
        );
      }
      const bigger = Buffer.allocUnsafe(Math.min(buffer.length * 2, options.maxBytes + 1));
      buffer.copy(bigger, 0, 0, length);
      buffer = bigger;
    }
    let n: number;
    try {
      n = fs.readSync(fd, buffer, length, buffer.length - length, null);
    } catch (error) {
      throw new FileReadError(file, 'unreadable', errnoReason(error).text);
    }
    if (n === 0) break;
    length += n;
  }
  if (length > options.maxBytes) {
    throw new FileReadError(
      file,
      'too-large',
      `grew past ${sizeText(options.maxBytes)} while it was read; it is not read`,
    );
  }
  return buffer.subarray(0, length);
}

/** A text file (UTF-8), read as readFileBounded reads it. */
export function readTextBounded(file: string, options: BoundedReadOptions): string {
  return readFileBounded(file, options).toString('utf8');
}

/**
 * A text file's content; undefined when it does not exist (discovery probes many paths); a
 * `problem` (without the path) when it exists but is refused or unreadable, which the caller reports.
 */
export function readTextIfPresent(file: string, options: BoundedReadOptions): string | undefined | { problem: string } {
  try {
    return readTextBounded(file, options);
  } catch (error) {
    if (error instanceof FileReadError) return error.reason === 'missing' ? undefined : { problem: error.detail };
    throw error;
  }
}
