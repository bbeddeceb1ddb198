import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Dataset, DatasetSplit } from './dataset';
import { formatCount, MAX_DATASET_VALUES } from './data-limits';
import { DatasetError } from './dataset-error';
import { decodeImage, isImageFile, type DecodedImage } from './decode-image';
import { entryKind, readFolder } from './read-file';

/**
 * A folder of PNG or JPEG images with one sub-folder per class, as torchvision's `ImageFolder`
 * reads it: classes are the sub-folders' names in sorted order (so class indices agree with a
 * PyTorch pipeline over the same folder), images are every PNG or JPEG file below a class folder,
 * in sorted order of their paths. Other files and hidden entries are skipped.
 *
 * A folder with `train/` and `test/` (or `val/`, used when there is no `test/`) sub-folders holds
 * both splits; the class list is the sorted union of both, so a class missing from one split
 * keeps its index. A folder without them is test data only.
 *
 * Images are never resized: they must all share one size. Channels: 1 when every image of both
 * splits is grayscale (red = green = blue at every pixel, whatever the file's colour type), else 3
 * with grayscale images repeated into all three. Deciding on all images rather than the first
 * keeps the result independent of file order and never throws colour away.
 */

export const IMAGE_FOLDER_LAYOUT =
  'one sub-folder of PNG or JPEG images per class, optionally inside train/ and test/ (or val/)';

const SPLIT_FOLDERS = ['train', 'test', 'val'];

interface ClassFiles {
  className: string;
  files: string[];
}

interface Split {
  dir: string;
  classes: ClassFiles[];
}

function isVisible(name: string): boolean {
  return !name.startsWith('.');
}

function subfolders(dir: string): string[] {
  return readFolder(dir)
    .filter((entry) => isVisible(entry.name) && entryKind(dir, entry) === 'folder')
    .map((entry) => entry.name)
    .sort();
}

/** Whether `dir` has sub-folders that could be classes or splits. */
export function looksLikeImageFolder(dir: string): boolean {
  return subfolders(dir).length > 0;
}

export function readImageFolder(dir: string, name = path.basename(path.resolve(dir))): DatasetSplit {
  const { train, test } = findSplits(dir);
  const classNames = [...new Set([...(train?.classes ?? []), ...test.classes].map((c) => c.className))].sort();
  const decoded = decodeAll([...(train ? [train] : []), test]);
  const channels = decoded.every((image) => image.gray) ? 1 : 3;
  const build = (split: Split, first: number): Dataset =>
    toDataset(split, decoded, first, { name, classNames, channels });
  if (!train) return { test: build(test, 0) };
  return { train: build(train, 0), test: build(test, countImages(train)) };
}

function findSplits(dir: string): { train?: Split; test: Split } {
  const folders = subfolders(dir);
  const splitFolders = SPLIT_FOLDERS.filter((folder) => folders.includes(folder));
  if (splitFolders.length === 0) return { test: listSplit(dir) };
  const others = folders.filter((folder) => !SPLIT_FOLDERS.includes(folder));
  if (others.length > 0) {
    throw new DatasetError(
      `${dir}: has ${splitFolders.map((f) => `${f}/`).join(' and ')} beside other folders ` +
        `(${others.map((f) => `${f}/`).join(', ')}); put every class folder inside train/ ` +
        `and test/, or use a folder without train/ and test/`,
      dir,
    );
  }
  const testName = folders.includes('test') ? 'test' : folders.includes('val') ? 'val' : undefined;
  if (testName === undefined) {
    throw new DatasetError(
      `${dir}: has train/ but no test/ or val/; add one, or give the train/ folder itself ` +
        `to use its images as test data`,
      dir,
    );
  }
  const test = listSplit(path.join(dir, testName));
  return folders.includes('train') ? { train: listSplit(path.join(dir, 'train')), test } : { test };
}

function listSplit(dir: string): Split {
  const entries = readFolder(dir).filter((entry) => isVisible(entry.name));
  const loose = entries.find((entry) => isImageFile(entry.name) && entryKind(dir, entry) === 'file');
  if (loose) {
    throw new DatasetError(
      `${path.join(dir, loose.name)}: is not inside a class folder; an image folder holds ${IMAGE_FOLDER_LAYOUT}`,
      dir,
    );
  }
  const classNames = entries
    .filter((entry) => entryKind(dir, entry) === 'folder')
    .map((entry) => entry.name)
    .sort();
  if (classNames.length === 0) {
    throw new DatasetError(`${dir}: has no class folders; an image folder holds ${IMAGE_FOLDER_LAYOUT}`, dir);
  }
  const classes = classNames.map((className) => {
    const classDir = path.join(dir, className);
    const files = imagesBelow(classDir);
    if (files.length === 0)
      throw new DatasetError(`${classDir}: the class folder "${className}" has no PNG or JPEG images`, classDir);
    return { className, files };
  });
  return { dir, classes };
}

/** Every image file below `dir`, in sorted order of their relative paths, hidden entries skipped. */
function imagesBelow(dir: string): string[] {
  const found: string[] = [];
  // Linked folders are followed, so a link back up the tree must not be walked twice.
  const walked = new Set<string>();
  const walk = (relative: string): void => {
    const parent = path.join(dir, relative);
    const real = fs.realpathSync(parent);
    if (walked.has(real)) return;
    walked.add(real);
    for (const entry of readFolder(parent)) {
      if (!isVisible(entry.name)) continue;
      const child = path.join(relative, entry.name);
      const kind = entryKind(parent, entry);
      if (kind === 'folder') walk(child);
      else if (kind === 'file' && isImageFile(entry.name)) found.push(child);
    }
  };
  walk('');
  return found.sort().map((relative) => path.join(dir, relative));
}

function countImages(split: Split): number {
  return split.classes.reduce((sum, c) => sum + c.files.length, 0);
}

/**
 * Decodes every image of the splits, in order. Each image's header is checked before it is
 * decoded: the same size as the first, and the first's size times the number of images within
 * what a data set may hold, so a folder of small files that declare huge pictures fails at once.
 */
function decodeAll(splits: Split[]): DecodedImage[] {
  const decoded: DecodedImage[] = [];
  const files = splits.flatMap((split) => split.classes.flatMap((c) => c.files));
  let first: { file: string; size: { width: number; height: number } } | undefined;
  for (const file of files) {
    const image = decodeImage(file, (size) => {
      if (!first) {
        first = { file, size };
        const values = files.length * size.width * size.height * 3;
        if (values > MAX_DATASET_VALUES) {
          throw new DatasetError(
            `${file}: ${files.length} images of ${size.width}x${size.height} pixels make ` +
              `${formatCount(values)} values, more than the ` +
              `${formatCount(MAX_DATASET_VALUES)} a data set may hold (it is held in memory ` +
              `as 32-bit floats); nothing was decoded`,
            file,
          );
        }
      } else if (size.width !== first.size.width || size.height !== first.size.height) {
        throw new DatasetError(
          `${file}: is ${describeSize(size)} but ${first.file} is ` +
            `${describeSize(first.size)}; every image must have the same size (resize them ` +
            `beforehand: the reader does not)`,
          file,
        );
      }
    });
    if (image.width !== first?.size.width || image.height !== first.size.height) {
      throw new DatasetError(
        `${file}: decodes to ${describeSize(image)} where its header declares ` +
          `${first ? describeSize(first.size) : 'another size'}; the file is damaged`,
        file,
      );
    }
    decoded.push(image);
  }
  return decoded;
}

function describeSize(image: { width: number; height: number }): string {
  return `${image.width} pixels wide and ${image.height} high`;
}

interface Layout {
  name: string;
  classNames: string[];
  channels: number;
}

function toDataset(split: Split, decoded: DecodedImage[], first: number, layout: Layout): Dataset {
  const n = countImages(split);
  const { width, height } = decoded[first] as DecodedImage;
  const size = height * width * layout.channels;
  const images = new Float32Array(n * size);
  const labels = new Int32Array(n);
  let index = 0;
  for (const { className, files } of split.classes) {
    const label = layout.classNames.indexOf(className);
    for (let k = 0; k < files.length; k++, index++) {
      labels[index] = label;
      writePixels(decoded[first + index] as DecodedImage, layout.channels, images, index * size);
    }
  }
  return {
    name: layout.name,
    shape: { height, width, channels: layout.channels },
    numClasses: layout.classNames.length,
    classNames: layout.classNames,
    images,
    labels,
    n,
  };
}

function writePixels(image: DecodedImage, channels: number, out: Float32Array, offset: number): void {
  const pixels = image.width * image.height;
  if (channels === 1) {
    // Only reached when the image is gray, so red stands for all three.
    for (let p = 0; p < pixels; p++) out[offset + p] = (image.rgb[3 * p] as number) / 255;
  } else {
    for (let i = 0; i < 3 * pixels; i++) out[offset + i] = (image.rgb[i] as number) / 255;
  }
}
