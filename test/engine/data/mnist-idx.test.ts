import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { readMnistIdx, type Dataset } from '../../../src/engine/data';
import { assertDatasetError } from './errors';
import {
  HALF_LEVEL,
  copyFixture,
  fixture,
  manifest,
  maxDifference,
  packageDigit,
  tempDir,
  type DigitRef,
} from './fixtures';

/** Checks every image and label of `data` against the package digits it was made from. */
function assertDigits(data: Dataset, refs: DigitRef[]): void {
  assert.equal(data.n, refs.length);
  assert.deepEqual(data.shape, { height: 28, width: 28, channels: 1 });
  assert.equal(data.images.length, refs.length * 784);
  refs.forEach((ref, i) => {
    assert.equal(data.labels[i], ref[0]);
    const pixels = data.images.subarray(i * 784, (i + 1) * 784);
    const source = packageDigit(ref);
    assert.ok(maxDifference(pixels, source) <= HALF_LEVEL, `digit ${i}`);
    // The stored bytes are round(v * 255); the reader gives back exactly byte / 255.
    assert.ok(
      maxDifference(
        pixels,
        source.map((v) => Math.round(v * 255) / 255),
      ) < 1e-7,
    );
  });
}

/** A copy of the plain IDX fixture with one file replaced. */
function withFile(name: string, bytes: Uint8Array): string {
  const dir = copyFixture('mnist-idx');
  fs.writeFileSync(path.join(dir, name), bytes);
  return path.join(dir, name);
}

const TEST_IMAGES = 't10k-images-idx3-ubyte';
const TEST_LABELS = 't10k-labels-idx1-ubyte';

describe('MNIST IDX reader', () => {
  const refs = manifest().idx;

  it('reads the standard files into 28x28x1 images in [0, 1] equal to the source digits', () => {
    const { train, test } = readMnistIdx(fixture('mnist-idx'));
    assert.ok(train);
    assertDigits(train, refs.train);
    assertDigits(test, refs.test);
    assert.equal(test.numClasses, 10);
    assert.deepEqual(test.classNames, ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
    assert.equal(test.name, 'mnist-idx');
  });

  it('reads gzipped files, also spelled train-images.idx3-ubyte.gz, to the same data', () => {
    const plain = readMnistIdx(fixture('mnist-idx'));
    const gz = readMnistIdx(fixture('mnist-idx-gz'));
    assert.deepEqual(gz.train?.images, plain.train?.images);
    assert.deepEqual(gz.train?.labels, plain.train?.labels);
    assert.deepEqual(gz.test.images, plain.test.images);
  });

  it('reads explicitly named files, and test files alone', () => {
    const split = readMnistIdx(
      { testImages: fixture('mnist-idx', TEST_IMAGES), testLabels: fixture('mnist-idx', TEST_LABELS) },
      { name: 'digits' },
    );
    assert.equal(split.train, undefined);
    assert.equal(split.test.name, 'digits');
    assertDigits(split.test, refs.test);

    const dir = tempDir();
    for (const name of [TEST_IMAGES, TEST_LABELS]) fs.copyFileSync(fixture('mnist-idx', name), path.join(dir, name));
    assert.equal(readMnistIdx(dir).train, undefined);
  });

  it("names Fashion-MNIST's classes when the folder says fashion", () => {
    const { test } = readMnistIdx(copyFixture('mnist-idx', 'fashion-mnist'));
    assert.equal(test.classNames?.[9], 'Ankle boot');
    assert.equal(test.name, 'fashion-mnist');
  });

  it('says a file is truncated', () => {
    const bytes = fs.readFileSync(fixture('mnist-idx', TEST_IMAGES));
    const file = withFile(TEST_IMAGES, bytes.subarray(0, bytes.length - 100));
    assertDatasetError(
      () => readMnistIdx(path.dirname(file)),
      file,
      /is truncated: its header declares 10 images of 28x28 pixels \(7,840 bytes\) but only 7,740 bytes follow/,
    );
    const header = withFile(TEST_LABELS, new Uint8Array([0, 0, 8, 1, 0, 0]));
    assertDatasetError(() => readMnistIdx(path.dirname(header)), header, /truncated inside its header/);
  });

  it('says the magic number is wrong', () => {
    const bytes = Buffer.from(fs.readFileSync(fixture('mnist-idx', TEST_IMAGES)));
    bytes[0] = 0x12;
    const file = withFile(TEST_IMAGES, bytes);
    assertDatasetError(
      () => readMnistIdx(path.dirname(file)),
      file,
      /wrong magic number 0x12000803; an IDX images file starts with 0x00000803/,
    );
  });

  it('says when images and labels are swapped, or the elements are not bytes', () => {
    const dir = copyFixture('mnist-idx');
    fs.copyFileSync(fixture('mnist-idx', TEST_LABELS), path.join(dir, TEST_IMAGES));
    assertDatasetError(
      () => readMnistIdx(dir),
      path.join(dir, TEST_IMAGES),
      /are the images and labels files swapped\?/,
    );

    const floats = Buffer.from(fs.readFileSync(fixture('mnist-idx', TEST_LABELS)));
    floats[2] = 0x0d;
    const file = withFile(TEST_LABELS, floats);
    assertDatasetError(
      () => readMnistIdx(path.dirname(file)),
      file,
      /holds 32-bit floats; MNIST-style labels files hold unsigned bytes/,
    );
  });

  it('says which label is out of range', () => {
    const bytes = Buffer.from(fs.readFileSync(fixture('mnist-idx', TEST_LABELS)));
    bytes[8 + 3] = 11;
    const file = withFile(TEST_LABELS, bytes);
    assertDatasetError(
      () => readMnistIdx(path.dirname(file)),
      file,
      /label 11 of example 3 is outside 0\.\.9 \(10 classes\)/,
    );
  });

  it('says when the counts of images and labels differ', () => {
    const file = withFile(TEST_LABELS, fs.readFileSync(fixture('mnist-idx', 'train-labels-idx1-ubyte')));
    assertDatasetError(
      () => readMnistIdx(path.dirname(file)),
      file,
      /has 10 images but .* has 20 labels; the two files must belong together/,
    );
  });

  it('says which files are missing', () => {
    const dir = copyFixture('mnist-idx');
    fs.rmSync(path.join(dir, TEST_LABELS));
    assertDatasetError(() => readMnistIdx(dir), dir, /no t10k-labels-idx1-ubyte found; an MNIST-style folder holds/);
    const noTrainLabels = copyFixture('mnist-idx');
    fs.rmSync(path.join(noTrainLabels, 'train-labels-idx1-ubyte'));
    assertDatasetError(
      () => readMnistIdx(noTrainLabels),
      noTrainLabels,
      /has training images but no train-labels-idx1-ubyte/,
    );
    const missing = fixture('mnist-idx', 'nothing-here');
    assertDatasetError(
      () => readMnistIdx({ testImages: missing, testLabels: missing }),
      missing,
      /cannot read the file \(it does not exist\)/,
    );
  });

  it('says when gzip data is damaged', () => {
    const gz = zlib.gzipSync(fs.readFileSync(fixture('mnist-idx', TEST_IMAGES)));
    const file = withFile(`${TEST_IMAGES}.gz`, gz.subarray(0, gz.length / 2));
    fs.rmSync(path.join(path.dirname(file), TEST_IMAGES));
    assertDatasetError(() => readMnistIdx(path.dirname(file)), file, /the gzip data is damaged or cut short/);
  });
});
