/** A weights file that cannot be read or does not fit the model; the message says where and why. */
export class WeightsFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WeightsFileError';
  }
}
