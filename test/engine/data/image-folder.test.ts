import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readImageFolder, type Dataset } from '../../../src/engine/data';
import { assertDatasetError } from './errors';
import {
  HALF_LEVEL,
  colourDigit,
  copyFixture,
  fixture,
  manifest,
  maxDifference,
  packageDigit,
  paddedDigit,
  tempDir,
} from './fixtures';

function image(data: Dataset, i: number): Float32Array {
  const size = data.shape.height * data.shape.width * data.shape.channels;
  return data.images.subarray(i * size, (i + 1) * size);
}

function mean(values: number[]): number {
  return values.reduce((a, b) => a + b, 0) / values.length;
}

describe('image folder reader', () => {
  const refs = manifest();

  it('reads class folders in sorted order, grayscale PNG and JPEG into one channel', () => {
    const { train, test } = readImageFolder(fixture('images'));
    assert.equal(train, undefined);
    assert.equal(test.name, 'images');
    assert.deepEqual(test.classNames, ['five', 'one', 'seven']);
    assert.equal(test.numClasses, 3);
    assert.deepEqual(test.shape, { height: 28, width: 28, channels: 1 });
    assert.deepEqual(Array.from(test.labels), [0, 0, 0, 1, 1, 1, 2, 2, 2]);
    const files = Object.keys(refs.images).sort();
    assert.equal(files.length, test.n);
    files.forEach((file, i) => {
      const source = packageDigit(refs.images[file] ?? [0, 0]);
      const pixels = image(test, i);
      if (file.endsWith('.png')) {
        assert.ok(maxDifference(pixels, source) <= HALF_LEVEL, file);
      } else {
        // JPEG is lossy: near the source on average, within a few grey levels almost everywhere.
        const errors = Array.from(pixels, (v, p) => Math.abs(v - (source[p] as number)));
        assert.ok(mean(errors) < 0.01, `${file}: mean error ${mean(errors)}`);
        assert.ok(errors.filter((e) => e > 0.1).length < 10, `${file}: pixels far off`);
      }
    });
  });

  it('reads train/ and test/ splits in colour, a grayscale image repeated into R, G and B', () => {
    const { train, test } = readImageFolder(fixture('images-split'));
    assert.ok(train);
    assert.deepEqual(train.shape, { height: 32, width: 32, channels: 3 });
    assert.deepEqual(test.classNames, ['five', 'one', 'seven']);
    assert.equal(train.n, 6);
    assert.equal(test.n, 3);
    assert.deepEqual(Array.from(train.labels), [0, 0, 1, 1, 2, 2]);
    assert.deepEqual(Array.from(test.labels), [0, 1, 2]);
    for (const [split, data] of [
      ['train', train],
      ['test', test],
    ] as const) {
      const files = Object.keys(refs.imagesSplit)
        .filter((file) => file.startsWith(`images-split/${split}/`))
        .sort();
      files.forEach((file, i) => {
        const entry = refs.imagesSplit[file];
        assert.ok(entry);
        const pixels = image(data, i);
        if (!entry.gray) {
          assert.ok(maxDifference(pixels, colourDigit(entry.digit)) <= HALF_LEVEL, file);
          return;
        }
        const gray = paddedDigit(entry.digit);
        for (let c = 0; c < 3; c++) {
          assert.ok(
            maxDifference(
              pixels.filter((_, k) => k % 3 === c),
              gray,
            ) <= HALF_LEVEL,
            `${file} channel ${c}`,
          );
        }
      });
    }
  });

  it('takes val/ when there is no test/, and skips hidden entries and other files', () => {
    const dir = copyFixture('images-split');
    fs.renameSync(path.join(dir, 'test'), path.join(dir, 'val'));
    fs.writeFileSync(path.join(dir, 'val', 'five', 'notes.txt'), 'not an image');
    fs.mkdirSync(path.join(dir, 'train', '.ipynb_checkpoints'));
    fs.writeFileSync(path.join(dir, 'train', 'one', '.DS_Store'), '');
    const reference = readImageFolder(fixture('images-split'));
    const split = readImageFolder(dir);
    assert.deepEqual(split.test.images, reference.test.images);
    assert.deepEqual(split.train?.classNames, reference.train?.classNames);
  });

  it('refuses images of different sizes, naming the first odd file and both sizes', () => {
    const dir = fixture('images-mixed-sizes');
    assertDatasetError(
      () => readImageFolder(dir),
      path.join(dir, 'b', '0.png'),
      /is 32 pixels wide and 32 high but .*a.0\.png is 28 pixels wide and 28 high; every image must have the same size/,
    );
  });

  it('says an empty folder or class folder holds nothing to read', () => {
    const empty = tempDir('empty');
    assertDatasetError(
      () => readImageFolder(empty),
      empty,
      /has no class folders; an image folder holds one sub-folder of PNG or JPEG images per class/,
    );
    const dir = copyFixture('images');
    fs.mkdirSync(path.join(dir, 'zero'));
    assertDatasetError(
      () => readImageFolder(dir),
      path.join(dir, 'zero'),
      /the class folder "zero" has no PNG or JPEG images/,
    );
  });

  it('says what is wrong with the layout', () => {
    const loose = copyFixture('images');
    fs.copyFileSync(fixture('images', 'one', '0.png'), path.join(loose, 'stray.png'));
    assertDatasetError(() => readImageFolder(loose), path.join(loose, 'stray.png'), /is not inside a class folder/);

    const trainOnly = copyFixture('images-split');
    fs.rmSync(path.join(trainOnly, 'test'), { recursive: true });
    assertDatasetError(() => readImageFolder(trainOnly), trainOnly, /has train\/ but no test\/ or val\//);

    const mixed = copyFixture('images-split');
    fs.cpSync(fixture('images', 'one'), path.join(mixed, 'one'), { recursive: true });
    assertDatasetError(() => readImageFolder(mixed), mixed, /has train\/ and test\/ beside other folders \(one\/\)/);
  });

  it('says a file is not a readable image', () => {
    const dir = copyFixture('images');
    const file = path.join(dir, 'one', '1.png');
    fs.writeFileSync(file, fs.readFileSync(fixture('images', 'seven', '2.jpg')));
    assertDatasetError(() => readImageFolder(dir), file, /not a readable PNG image/);
    const jpeg = path.join(dir, 'seven', '2.jpg');
    fs.copyFileSync(fixture('images', 'five', '0.png'), file);
    fs.writeFileSync(jpeg, 'not a jpeg');
    assertDatasetError(() => readImageFolder(dir), jpeg, /not a readable JPEG image/);
  });
});
