/** A layer or structure a back end cannot build, named so the user can act on it. */
export class UnsupportedModelError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnsupportedModelError';
  }
}
