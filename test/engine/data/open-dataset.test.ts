import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { openDataset, readCifar10, readImageFolder, readMnistIdx } from '../../../src/engine/data';
import { repoPath } from '../../helpers/paths';
import { joinRegExp } from '../../helpers/regexp';
import { assertDatasetError } from './errors';
import { copyFixture, fixture, tempDir } from './fixtures';

const BUNDLED = repoPath('dist-test', 'data', 'mnist-bundled');

/** Every layout the message must offer. */
const LAYOUTS = joinRegExp(
  /"mnist" for the bundled MNIST digits[\s\S]*/,
  /MNIST or Fashion-MNIST: t10k-images-idx3-ubyte[\s\S]*/,
  /CIFAR-10: test_batch\.bin[\s\S]*/,
  /CIFAR-100: test\.bin[\s\S]*/,
  /an image folder: one sub-folder of PNG or JPEG images per class/,
);

describe('openDataset', () => {
  it('opens the bundled digits for "mnist"', () => {
    const { train, test } = openDataset('mnist', { bundledMnistDir: BUNDLED });
    assert.equal((train?.n ?? 0) + test.n, 10_000);
    assert.equal(test.name, 'mnist');
  });

  it('recognises each layout by the files in the folder', () => {
    assert.deepEqual(openDataset(fixture('mnist-idx')), readMnistIdx(fixture('mnist-idx')));
    assert.deepEqual(openDataset(fixture('mnist-idx-gz')).test.images, readMnistIdx(fixture('mnist-idx')).test.images);
    assert.deepEqual(openDataset(fixture('cifar-10')), readCifar10(fixture('cifar-10')));
    assert.equal(openDataset(fixture('cifar-100')).test.numClasses, 100);
    assert.deepEqual(openDataset(fixture('images')), readImageFolder(fixture('images')));
    assert.equal(openDataset(fixture('images-split')).train?.n, 6);
  });

  it('looks inside the folders that downloads unpack into', () => {
    const cifar = path.dirname(copyFixture('cifar-10', 'cifar-10-batches-bin'));
    assert.equal(openDataset(cifar).test.name, 'cifar-10');
    const torchvision = path.dirname(copyFixture('mnist-idx', path.join('MNIST', 'raw')));
    const mnist = openDataset(path.dirname(torchvision));
    assert.equal(mnist.test.name, 'MNIST');
    assert.equal(mnist.train?.n, 20);
  });

  it('says which layouts it accepts for a missing path, a file, or a folder it does not know', () => {
    const missing = path.join(tempDir(), 'no-such-folder');
    assertDatasetError(() => openDataset(missing), missing, /no such file or folder/);
    assertDatasetError(() => openDataset(missing), missing, LAYOUTS);
    const file = fixture('cifar-10', 'test_batch.bin');
    assertDatasetError(() => openDataset(file), file, /is a file; give the folder that holds the data set/);
    const unknown = tempDir('unknown');
    fs.writeFileSync(path.join(unknown, 'readme.txt'), 'some notes');
    assertDatasetError(() => openDataset(unknown), unknown, /not a data set folder this reader knows/);
    assertDatasetError(() => openDataset(unknown), unknown, LAYOUTS);
    const empty = tempDir('empty');
    assertDatasetError(() => openDataset(empty), empty, LAYOUTS);
  });
});
