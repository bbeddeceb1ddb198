/** Thrown between compute steps once a run was asked to stop; the run then keeps what it finished. */
export class RunCancelled extends Error {
  constructor() {
    super('cancelled');
    this.name = 'RunCancelled';
  }
}

/** An attack checkpoint that throws RunCancelled when `isCancelled` says so. */
export function cancellationCheckpoint(isCancelled: () => boolean): () => void {
  return () => {
    if (isCancelled()) throw new RunCancelled();
  };
}
