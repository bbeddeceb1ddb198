/**
 * A data set that cannot be read as asked. The message names the file or folder and says what
 * is wrong with it in words a user can act on, so that callers can show it as it is; the readers
 * wrap the decoders' and the file system's own errors in one rather than let those through.
 */
export class DatasetError extends Error {
  /** The file or folder at fault, when there is one. */
  readonly path: string | undefined;

  constructor(message: string, path?: string) {
    super(message);
    this.name = 'DatasetError';
    this.path = path;
  }
}
