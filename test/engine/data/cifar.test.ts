import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readCifar10, readCifar100, type Dataset } from '../../../src/engine/data';
import { assertDatasetError } from './errors';
import { HALF_LEVEL, colourDigit, copyFixture, fixture, manifest, maxDifference, type DigitRef } from './fixtures';

const IMAGE = 32 * 32 * 3;

/** Checks that each record became the fixture's colour image, channels last. */
function assertImages(data: Dataset, refs: DigitRef[]): void {
  assert.equal(data.n, refs.length);
  assert.deepEqual(data.shape, { height: 32, width: 32, channels: 3 });
  refs.forEach((ref, i) => {
    assert.ok(
      maxDifference(data.images.subarray(i * IMAGE, (i + 1) * IMAGE), colourDigit(ref)) <= HALF_LEVEL,
      `image ${i}`,
    );
  });
}

/** A copy of the CIFAR-10 fixture with one file replaced. */
function withFile(name: string, bytes: Uint8Array): string {
  const dir = copyFixture('cifar-10');
  fs.writeFileSync(path.join(dir, name), bytes);
  return path.join(dir, name);
}

describe('CIFAR binary readers', () => {
  const refs = manifest();

  it('reads CIFAR-10 batches in order, planes turned into channels-last pixels', () => {
    const { train, test } = readCifar10(fixture('cifar-10'));
    assert.ok(train);
    const trainRefs = [...(refs.cifar10['data_batch_1.bin'] ?? []), ...(refs.cifar10['data_batch_2.bin'] ?? [])];
    assertImages(train, trainRefs);
    assert.deepEqual(
      Array.from(train.labels),
      trainRefs.map(([label]) => label),
    );
    assertImages(test, refs.cifar10['test_batch.bin'] ?? []);
    assert.equal(test.numClasses, 10);
    assert.equal(test.name, 'cifar-10');
    assert.deepEqual(test.classNames, ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine']);
  });

  it("uses CIFAR-10's class names without batches.meta.txt, and reads a test batch alone", () => {
    const dir = copyFixture('cifar-10');
    fs.rmSync(path.join(dir, 'batches.meta.txt'));
    for (const name of ['data_batch_1.bin', 'data_batch_2.bin']) fs.rmSync(path.join(dir, name));
    const split = readCifar10(dir);
    assert.equal(split.train, undefined);
    assert.equal(split.test.classNames?.[0], 'airplane');
    assert.equal(split.test.n, 5);
  });

  it('reads CIFAR-100 by its fine labels', () => {
    const { train, test } = readCifar100(fixture('cifar-100'));
    assert.ok(train);
    assertImages(train, refs.cifar100['train.bin'] ?? []);
    assertImages(test, refs.cifar100['test.bin'] ?? []);
    assert.deepEqual(
      Array.from(test.labels),
      (refs.cifar100['test.bin'] ?? []).map(([digit]) => 99 - 10 * digit),
    );
    assert.equal(test.numClasses, 100);
    assert.equal(test.classNames?.[99], 'fine_99');
  });

  it('says a batch is truncated, or is CIFAR-100', () => {
    const bytes = fs.readFileSync(fixture('cifar-10', 'test_batch.bin'));
    const cut = withFile('test_batch.bin', bytes.subarray(0, bytes.length - 1));
    assertDatasetError(
      () => readCifar10(path.dirname(cut)),
      cut,
      /15,364 bytes is not a whole number of CIFAR-10 3,073-byte records .* It is truncated/,
    );
    const hundred = withFile('test_batch.bin', fs.readFileSync(fixture('cifar-100', 'test.bin')));
    assertDatasetError(() => readCifar10(path.dirname(hundred)), hundred, /is it a CIFAR-100 file\?/);
    const empty = withFile('test_batch.bin', new Uint8Array(0));
    assertDatasetError(() => readCifar10(path.dirname(empty)), empty, /is empty/);
  });

  it('says which label is out of range', () => {
    const bytes = Buffer.from(fs.readFileSync(fixture('cifar-10', 'data_batch_2.bin')));
    bytes[2 * 3073] = 12;
    const file = withFile('data_batch_2.bin', bytes);
    assertDatasetError(() => readCifar10(path.dirname(file)), file, /label 12 of record 2 is outside 0\.\.9/);
  });

  it('says what is missing or miscounted', () => {
    const dir = copyFixture('cifar-10');
    fs.rmSync(path.join(dir, 'test_batch.bin'));
    assertDatasetError(() => readCifar10(dir), dir, /no test_batch\.bin; a CIFAR-10 folder holds test_batch\.bin/);
    const meta = withFile('batches.meta.txt', Buffer.from('cat\ndog\n'));
    assertDatasetError(() => readCifar10(path.dirname(meta)), meta, /lists 2 class names where CIFAR-10 has 10/);
  });
});
