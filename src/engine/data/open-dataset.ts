import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadBundledMnist } from './bundled-mnist';
import {
  CIFAR100_LAYOUT,
  CIFAR10_LAYOUT,
  looksLikeCifar100Folder,
  looksLikeCifar10Folder,
  readCifar10,
  readCifar100,
} from './cifar';
import type { DatasetSplit } from './dataset';
import { DatasetError } from './dataset-error';
import { IMAGE_FOLDER_LAYOUT, looksLikeImageFolder, readImageFolder } from './image-folder';
import { MNIST_LAYOUT, looksLikeMnistFolder, readMnistIdx } from './mnist-idx';

export interface OpenDatasetOptions {
  /** Where the bundled MNIST is, when not beside the running bundle (tests). */
  bundledMnistDir?: string;
}

/** The spec that names the bundled digits. */
export const BUNDLED_MNIST = 'mnist';

const ACCEPTED = [
  `"${BUNDLED_MNIST}" for the bundled MNIST digits, or a folder holding one of:`,
  `  - MNIST or Fashion-MNIST: ${MNIST_LAYOUT}`,
  `  - CIFAR-10: ${CIFAR10_LAYOUT}`,
  `  - CIFAR-100: ${CIFAR100_LAYOUT}`,
  `  - an image folder: ${IMAGE_FOLDER_LAYOUT}`,
].join('\n');

/**
 * Folders inside a given folder where the data usually sits once downloaded: the CIFAR archives
 * unpack into these names, and torchvision's downloads put MNIST's files under `<name>/raw/`.
 */
const KNOWN_INNER_FOLDERS = [
  'cifar-10-batches-bin',
  'cifar-100-binary',
  'raw',
  'MNIST/raw',
  'FashionMNIST/raw',
  'KMNIST/raw',
];

/**
 * Opens a data set from what the user typed: `mnist`, or a path to a folder whose layout is
 * recognised from the files it holds.
 */
export function openDataset(spec: string, options: OpenDatasetOptions = {}): DatasetSplit {
  if (spec.trim().toLowerCase() === BUNDLED_MNIST) return loadBundledMnist(options.bundledMnistDir);
  const dir = path.resolve(spec);
  let stat: fs.Stats;
  try {
    stat = fs.statSync(dir);
  } catch {
    throw new DatasetError(`${spec}: no such file or folder. Give ${ACCEPTED}`, dir);
  }
  if (!stat.isDirectory())
    throw new DatasetError(
      `${spec}: is a file; give the folder that holds the data set instead. Give ${ACCEPTED}`,
      dir,
    );
  return openFolder(dir) ?? unrecognised(spec, dir);
}

function openFolder(dir: string): DatasetSplit | undefined {
  if (looksLikeMnistFolder(dir)) return readMnistIdx(dir, { name: datasetName(dir) });
  if (looksLikeCifar10Folder(dir)) return readCifar10(dir);
  if (looksLikeCifar100Folder(dir)) return readCifar100(dir);
  for (const inner of KNOWN_INNER_FOLDERS) {
    const nested = path.join(dir, inner);
    if (fs.existsSync(nested) && fs.statSync(nested).isDirectory()) {
      const found = openFolder(nested);
      if (found) return found;
    }
  }
  // Last: any folder with sub-folders would pass for an image folder.
  if (looksLikeImageFolder(dir)) return readImageFolder(dir);
  return undefined;
}

/** The folder's name, or its parent's for torchvision's `MNIST/raw`. */
function datasetName(dir: string): string {
  const base = path.basename(dir);
  return base === 'raw' ? path.basename(path.dirname(dir)) : base;
}

function unrecognised(spec: string, dir: string): never {
  throw new DatasetError(`${spec}: not a data set folder this reader knows. Give ${ACCEPTED}`, dir);
}
