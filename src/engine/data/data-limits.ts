/**
 * How much a data set may hold. Data sets are held in memory as 32-bit floats, so these bound
 * what a file can make the engine allocate whatever it claims (a 1.5 MB gzipped IDX file can
 * declare 9 GB; a few MB of PNGs can decode to more than 14 GB). They are checked from headers,
 * before anything is inflated or decoded.
 */

/** Pixel values (images x height x width x channels) in one split: 2 GiB as 32-bit floats. */
export const MAX_DATASET_VALUES = 2 ** 29;

/** Pixels of one image: classifier data sets are small pictures; 4096 x 4096 leaves room. */
export const MAX_IMAGE_PIXELS = 4096 * 4096;

/** Bytes a gzipped data file without a size-bearing header may inflate to. */
export const MAX_INFLATED_BYTES = 2 ** 30;

export function formatCount(n: number): string {
  return n.toLocaleString('en-US');
}
