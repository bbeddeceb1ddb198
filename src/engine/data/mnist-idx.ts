import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Dataset, DatasetSplit } from './dataset';
import { DatasetError } from './dataset-error';
import { readIdxFile } from './idx';
import { bytesToUnit } from './pixels';

/** The four files of an MNIST-style data set; the training pair is optional. */
export interface MnistIdxFiles {
  trainImages?: string;
  trainLabels?: string;
  testImages: string;
  testLabels: string;
}

export interface MnistIdxOptions {
  /** Defaults to the folder's name. */
  name?: string;
  /** Defaults to the digits, or Fashion-MNIST's classes when the folder or its parent is named "...fashion...". */
  classNames?: string[];
  /** Defaults to the number of class names; labels at or above it are an error. */
  numClasses?: number;
}

const DIGITS = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'];

/** Fashion-MNIST's classes, in its label order. */
const FASHION = [
  'T-shirt/top',
  'Trouser',
  'Pullover',
  'Dress',
  'Coat',
  'Sandal',
  'Shirt',
  'Sneaker',
  'Bag',
  'Ankle boot',
];

/** The standard file stems; the files are found under either spelling, gzipped or not. */
const STEMS = {
  trainImages: ['train-images', 'idx3-ubyte'],
  trainLabels: ['train-labels', 'idx1-ubyte'],
  testImages: ['t10k-images', 'idx3-ubyte'],
  testLabels: ['t10k-labels', 'idx1-ubyte'],
} as const;

type Role = keyof typeof STEMS;

/** How the files are named, for messages. */
export const MNIST_LAYOUT =
  't10k-images-idx3-ubyte and t10k-labels-idx1-ubyte, optionally train-images-idx3-ubyte ' +
  'and train-labels-idx1-ubyte (each may end in .gz)';

/**
 * Where a standard file is in `dir`: `train-images-idx3-ubyte`, or `train-images.idx3-ubyte` as some mirrors name it,
 * each possibly `.gz`.
 */
function locate(dir: string, role: Role): string | undefined {
  const [stem, kind] = STEMS[role];
  for (const name of [`${stem}-${kind}`, `${stem}.${kind}`]) {
    for (const suffix of ['', '.gz']) {
      const file = path.join(dir, name + suffix);
      if (fs.existsSync(file)) return file;
    }
  }
  return undefined;
}

/** Whether `dir` holds any of the standard MNIST file names. */
export function looksLikeMnistFolder(dir: string): boolean {
  return (Object.keys(STEMS) as Role[]).some((role) => locate(dir, role) !== undefined);
}

/** Finds the standard files in `dir`, or says which are missing. */
export function findMnistIdxFiles(dir: string): MnistIdxFiles {
  const found = Object.fromEntries((Object.keys(STEMS) as Role[]).map((role) => [role, locate(dir, role)])) as Record<
    Role,
    string | undefined
  >;
  const missing = (roles: Role[]): string =>
    roles
      .filter((role) => !found[role])
      .map((role) => STEMS[role].join('-'))
      .join(' and ');
  if (!found.testImages || !found.testLabels) {
    throw new DatasetError(
      `${dir}: no ${missing(['testImages', 'testLabels'])} found; an MNIST-style folder holds ${MNIST_LAYOUT}`,
      dir,
    );
  }
  if (Boolean(found.trainImages) !== Boolean(found.trainLabels)) {
    throw new DatasetError(
      `${dir}: has ${found.trainImages ? 'training images' : 'training labels'} but no ` +
        `${missing(['trainImages', 'trainLabels'])}; add it or remove the other ` +
        `training file`,
      dir,
    );
  }
  return {
    testImages: found.testImages,
    testLabels: found.testLabels,
    ...(found.trainImages && found.trainLabels
      ? { trainImages: found.trainImages, trainLabels: found.trainLabels }
      : {}),
  };
}

/** Reads MNIST or Fashion-MNIST from a folder with the standard file names, or from the files named. */
export function readMnistIdx(source: string | MnistIdxFiles, options: MnistIdxOptions = {}): DatasetSplit {
  const files = typeof source === 'string' ? findMnistIdxFiles(source) : source;
  const folder = typeof source === 'string' ? source : path.dirname(source.testImages);
  const name = options.name ?? path.basename(path.resolve(folder));
  const classNames = options.classNames ?? (saysFashion(folder) ? FASHION : DIGITS);
  const settings = { name, classNames, numClasses: options.numClasses ?? classNames.length };
  if (Boolean(files.trainImages) !== Boolean(files.trainLabels)) {
    const given = (files.trainImages ?? files.trainLabels) as string;
    throw new DatasetError(
      `${given}: training ${files.trainImages ? 'images' : 'labels'} were given without ` +
        `training ${files.trainImages ? 'labels' : 'images'}`,
      given,
    );
  }
  const test = readPair(files.testImages, files.testLabels, settings);
  if (!files.trainImages || !files.trainLabels) return { test };
  const train = readPair(files.trainImages, files.trainLabels, settings);
  if (train.shape.height !== test.shape.height || train.shape.width !== test.shape.width) {
    throw new DatasetError(
      `${files.trainImages}: its images are ${train.shape.height}x${train.shape.width} ` +
        `but ${files.testImages}'s are ${test.shape.height}x${test.shape.width}; both must ` +
        `come from the same data set`,
      files.trainImages,
    );
  }
  return { train, test };
}

/** Whether the folder or its parent (torchvision's `FashionMNIST/raw`) is named for Fashion-MNIST. */
function saysFashion(folder: string): boolean {
  const absolute = path.resolve(folder);
  return /fashion/i.test(path.basename(absolute)) || /fashion/i.test(path.basename(path.dirname(absolute)));
}

interface Settings {
  name: string;
  classNames: string[];
  numClasses: number;
}

function readPair(imagesFile: string, labelsFile: string, settings: Settings): Dataset {
  const images = readIdxFile(imagesFile, 'images');
  const labels = readIdxFile(labelsFile, 'labels');
  const [n = 0, height = 0, width = 0] = images.dims;
  if (labels.dims[0] !== n) {
    throw new DatasetError(
      `${imagesFile} has ${n} images but ${labelsFile} has ${labels.dims[0]} labels; the ` +
        `two files must belong together`,
      labelsFile,
    );
  }
  const classes = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const label = labels.data[i] as number;
    if (label >= settings.numClasses) {
      throw new DatasetError(
        `${labelsFile}: label ${label} of example ${i} is outside ` +
          `0..${settings.numClasses - 1} (${settings.numClasses} classes)`,
        labelsFile,
      );
    }
    classes[i] = label;
  }
  return {
    name: settings.name,
    shape: { height, width, channels: 1 },
    numClasses: settings.numClasses,
    // Names are only given when there is one for every class.
    ...(settings.classNames.length >= settings.numClasses
      ? { classNames: settings.classNames.slice(0, settings.numClasses) }
      : {}),
    images: bytesToUnit(images.data),
    labels: classes,
    n,
  };
}
