import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Dataset, DatasetSplit } from './dataset';
import { DatasetError } from './dataset-error';
import { formatCount, MAX_DATASET_VALUES } from './data-limits';
import { readDataFile, readFolder } from './read-file';
import { planesToUnitHwc } from './pixels';

/**
 * CIFAR-10 and CIFAR-100 in their "binary version": fixed-size records of label bytes followed
 * by a 32x32 colour image stored as three planes (1,024 red, then green, then blue bytes, each
 * row after row). The engine wants channels last, so each record is transposed on reading.
 */

const SIDE = 32;
const CHANNELS = 3;
const PIXEL_BYTES = SIDE * SIDE * CHANNELS;

const CIFAR10_CLASSES = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'];

/** How the folders look, for messages. */
export const CIFAR10_LAYOUT =
  'test_batch.bin, optionally data_batch_1.bin .. data_batch_5.bin and batches.meta.txt (CIFAR-10 binary version)';
export const CIFAR100_LAYOUT = 'test.bin, optionally train.bin and fine_label_names.txt (CIFAR-100 binary version)';

interface RecordFormat {
  /** For messages: "CIFAR-10". */
  title: string;
  labelBytes: number;
  /** Which label byte is the class: CIFAR-100 stores the coarse label, then the fine one. */
  labelIndex: number;
  numClasses: number;
}

const CIFAR10: RecordFormat = { title: 'CIFAR-10', labelBytes: 1, labelIndex: 0, numClasses: 10 };
const CIFAR100: RecordFormat = { title: 'CIFAR-100', labelBytes: 2, labelIndex: 1, numClasses: 100 };

const DATA_BATCH = /^data_batch_(\d+)\.bin$/;

export function looksLikeCifar10Folder(dir: string): boolean {
  return (
    fs.existsSync(path.join(dir, 'test_batch.bin')) || readFolder(dir).some((entry) => DATA_BATCH.test(entry.name))
  );
}

export function looksLikeCifar100Folder(dir: string): boolean {
  return fs.existsSync(path.join(dir, 'test.bin')) || fs.existsSync(path.join(dir, 'train.bin'));
}

/**
 * Reads CIFAR-10's binary batches: every `data_batch_<k>.bin` (in order of k) for training, `test_batch.bin` for
 * testing.
 */
export function readCifar10(dir: string, name = 'cifar-10'): DatasetSplit {
  const trainFiles = readFolder(dir)
    .map((entry) => DATA_BATCH.exec(entry.name))
    .filter((match) => match !== null)
    .sort((a, b) => Number(a[1]) - Number(b[1]))
    .map((match) => path.join(dir, match[0]));
  const classNames = readClassNames(path.join(dir, 'batches.meta.txt'), CIFAR10) ?? CIFAR10_CLASSES;
  return readSplit(dir, trainFiles, path.join(dir, 'test_batch.bin'), CIFAR10, name, classNames, CIFAR10_LAYOUT);
}

/** Reads CIFAR-100's binary files `train.bin` and `test.bin`, classed by their fine labels (100 classes). */
export function readCifar100(dir: string, name = 'cifar-100'): DatasetSplit {
  const trainFile = path.join(dir, 'train.bin');
  const classNames = readClassNames(path.join(dir, 'fine_label_names.txt'), CIFAR100);
  const trainFiles = fs.existsSync(trainFile) ? [trainFile] : [];
  return readSplit(dir, trainFiles, path.join(dir, 'test.bin'), CIFAR100, name, classNames, CIFAR100_LAYOUT);
}

function readSplit(
  dir: string,
  trainFiles: string[],
  testFile: string,
  format: RecordFormat,
  name: string,
  classNames: string[] | undefined,
  layout: string,
): DatasetSplit {
  if (!fs.existsSync(testFile)) {
    throw new DatasetError(`${dir}: no ${path.basename(testFile)}; a ${format.title} folder holds ${layout}`, dir);
  }
  const test = readRecords([testFile], format, name, classNames);
  return trainFiles.length === 0 ? { test } : { train: readRecords(trainFiles, format, name, classNames), test };
}

function readRecords(files: string[], format: RecordFormat, name: string, classNames: string[] | undefined): Dataset {
  const recordBytes = format.labelBytes + PIXEL_BYTES;
  let values = 0;
  const contents = files.map((file) => {
    const bytes = readDataFile(file, { maxInflated: MAX_DATASET_VALUES });
    checkRecordCount(file, bytes.length, format);
    values += (bytes.length / recordBytes) * PIXEL_BYTES;
    if (values > MAX_DATASET_VALUES) {
      throw new DatasetError(
        `${file}: with the files before it, the data set has more than the ` +
          `${formatCount(MAX_DATASET_VALUES)} pixel values a data set may hold (it is held ` +
          `in memory as 32-bit floats)`,
        file,
      );
    }
    return bytes;
  });
  const n = contents.reduce((sum, bytes) => sum + bytes.length / recordBytes, 0);
  const images = new Float32Array(n * PIXEL_BYTES);
  const labels = new Int32Array(n);
  let index = 0;
  contents.forEach((bytes, fileIndex) => {
    for (let start = 0; start < bytes.length; start += recordBytes, index++) {
      const label = bytes[start + format.labelIndex] as number;
      if (label >= format.numClasses) {
        const file = files[fileIndex] as string;
        throw new DatasetError(
          `${file}: label ${label} of record ${start / recordBytes} is outside ` +
            `0..${format.numClasses - 1}; this is not a ${format.title} file, or it ` +
            `is damaged`,
          file,
        );
      }
      labels[index] = label;
      planesToUnitHwc(
        bytes.subarray(start + format.labelBytes, start + recordBytes),
        SIDE,
        SIDE,
        CHANNELS,
        images,
        index * PIXEL_BYTES,
      );
    }
  });
  return {
    name,
    shape: { height: SIDE, width: SIDE, channels: CHANNELS },
    numClasses: format.numClasses,
    ...(classNames ? { classNames } : {}),
    images,
    labels,
    n,
  };
}

function checkRecordCount(file: string, length: number, format: RecordFormat): void {
  const recordBytes = format.labelBytes + PIXEL_BYTES;
  if (length > 0 && length % recordBytes === 0) return;
  const layout =
    `${recordBytes.toLocaleString('en-US')}-byte records (${format.labelBytes} label ` +
    `byte${format.labelBytes > 1 ? 's' : ''} + ${PIXEL_BYTES.toLocaleString('en-US')} ` +
    `pixel bytes)`;
  if (length === 0) throw new DatasetError(`${file}: is empty; a ${format.title} file holds ${layout}`, file);
  const other = format === CIFAR10 ? CIFAR100 : CIFAR10;
  const otherRecord = other.labelBytes + PIXEL_BYTES;
  const hint =
    length % otherRecord === 0
      ? ` Its size fits ${other.title}'s ${otherRecord.toLocaleString('en-US')}-byte ` +
        `records: is it a ${other.title} file?`
      : ' It is truncated or not a CIFAR binary file; download it again.';
  throw new DatasetError(
    `${file}: ${length.toLocaleString('en-US')} bytes is not a whole number of ${format.title} ${layout}.${hint}`,
    file,
  );
}

/** A names file's names, one a line (blank lines ignored), or undefined where there is no such file. */
function readClassNames(file: string, format: RecordFormat): string[] | undefined {
  if (!fs.existsSync(file)) return undefined;
  const names = readDataFile(file, { maxInflated: 1024 * 1024 })
    .toString('utf8')
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '');
  if (names.length !== format.numClasses) {
    throw new DatasetError(
      `${file}: lists ${names.length} class names where ${format.title} has ${format.numClasses}, one a line`,
      file,
    );
  }
  return names;
}
