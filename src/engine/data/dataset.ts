import { Random } from '../util/random';

/** The size of one image. */
export interface ImageShape {
  height: number;
  width: number;
  channels: number;
}

/**
 * Labelled images as the engine passes them around: host arrays, NHWC float32 pixels in [0, 1]
 * (any normalisation belongs to the model), one int32 class index per image.
 */
export interface Dataset {
  name: string;
  shape: ImageShape;
  numClasses: number;
  /** One name per class index, when the source names its classes. */
  classNames?: string[];
  /** n * height * width * channels values, image after image, each row after row, channels last. */
  images: Float32Array;
  /** n class indices, each in [0, numClasses). */
  labels: Int32Array;
  n: number;
}

/** What a source holds: test data always, training data where the source has it. */
export interface DatasetSplit {
  train?: Dataset;
  test: Dataset;
}

/** A batch of images with their labels, in the layout of `Dataset.images`. */
export interface Batch {
  x: Float32Array;
  labels: Int32Array;
  n: number;
}

export function imageSize(shape: ImageShape): number {
  return shape.height * shape.width * shape.channels;
}

/** Copies the examples at `indices`, in that order, into one batch. */
export function batchOf(dataset: Dataset, indices: ArrayLike<number>): Batch {
  const size = imageSize(dataset.shape);
  const x = new Float32Array(indices.length * size);
  const labels = new Int32Array(indices.length);
  for (let i = 0; i < indices.length; i++) {
    const index = indices[i] as number;
    if (!Number.isInteger(index) || index < 0 || index >= dataset.n) {
      throw new RangeError(`batchOf: index ${index} is outside ${dataset.name}'s ${dataset.n} examples`);
    }
    x.set(dataset.images.subarray(index * size, (index + 1) * size), i * size);
    labels[i] = dataset.labels[index] as number;
  }
  return { x, labels, n: indices.length };
}

/** The indices 0..n-1 in an order fixed by `seed`, e.g. one epoch's order. */
export function shuffledOrder(n: number, seed: number): Int32Array {
  return new Random(seed).permutation(n);
}

/**
 * The first `n` examples taken class by class in turn (0, 1, ..., k-1, 0, 1, ...), each class's
 * in the data set's own order, so that a small subset is as balanced as the data allows and the
 * same on every run. A class that runs out is skipped from then on.
 */
export function take(dataset: Dataset, n: number): Dataset {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`take: n must be a whole number, got ${n}`);
  if (n >= dataset.n) return dataset;
  const byClass: number[][] = Array.from({ length: dataset.numClasses }, () => []);
  for (let i = 0; i < dataset.n; i++) byClass[dataset.labels[i] as number]?.push(i);
  const rounds = Math.max(0, ...byClass.map((members) => members.length));
  const chosen: number[] = [];
  for (let round = 0; round < rounds && chosen.length < n; round++) {
    for (const members of byClass) {
      if (round < members.length && chosen.length < n) chosen.push(members[round] as number);
    }
  }
  const batch = batchOf(dataset, chosen);
  return { ...dataset, images: batch.x, labels: batch.labels, n: batch.n };
}
