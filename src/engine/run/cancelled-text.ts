/**
 * How a cancelled training reads in the editor (its notification and the results panel): the
 * trainer writes the checkpoint at the end of every epoch, so the last finished one is kept.
 */
export function cancelledTrainingText(lastEpoch: number | undefined): string {
  return lastEpoch !== undefined && lastEpoch > 0
    ? `Cancelled after epoch ${lastEpoch} (checkpoint kept)`
    : 'Cancelled during epoch 1, before any checkpoint';
}
