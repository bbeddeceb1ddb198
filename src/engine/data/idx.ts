import { DatasetError } from './dataset-error';
import { formatCount, MAX_DATASET_VALUES } from './data-limits';
import { readDataFile } from './read-file';

/**
 * The IDX format of MNIST and Fashion-MNIST: a 4-byte magic number (two zero bytes, the element
 * type, the number of dimensions), one big-endian 32-bit size per dimension, then the elements.
 * Only unsigned bytes (type 0x08) are read: every MNIST-style file stores its pixels and labels
 * that way, and accepting other types here would hide a wrong file behind odd pixel values.
 */

const UNSIGNED_BYTE = 0x08;

const TYPE_NAMES: Record<number, string> = {
  0x08: 'unsigned bytes',
  0x09: 'signed bytes',
  0x0b: '16-bit integers',
  0x0c: '32-bit integers',
  0x0d: '32-bit floats',
  0x0e: '64-bit floats',
};

/** What an IDX file should hold: images are n x rows x columns, labels n values. */
export type IdxContent = 'images' | 'labels';

const DIMENSIONS: Record<IdxContent, number> = { images: 3, labels: 1 };

export interface IdxArray {
  dims: number[];
  data: Uint8Array;
}

/**
 * Reads an IDX file (gzipped or not) that must hold `content`; a gzipped one inflates to at most what its header
 * declares.
 */
export function readIdxFile(file: string, content: IdxContent): IdxArray {
  const inflatedSize = (head: Uint8Array): number => {
    const header = parseIdxHeader(head, file, content);
    return header.length + header.elements;
  };
  return parseIdx(readDataFile(file, { inflatedSize }), file, content);
}

interface IdxHeader {
  dims: number[];
  /** Header bytes. */
  length: number;
  /** Elements the header declares (the product of dims). */
  elements: number;
}

/** Checks an IDX header (magic number, type, dimensions, size limit) from the file's first bytes. */
export function parseIdxHeader(bytes: Uint8Array, file: string, content: IdxContent): IdxHeader {
  const expectedMagic = magicHex(UNSIGNED_BYTE, DIMENSIONS[content]);
  if (bytes.length < 4) {
    throw new DatasetError(
      `${file}: ${bytes.length} bytes is too short for an IDX ${content} file (expected magic number ${expectedMagic})`,
      file,
    );
  }
  const type = bytes[2] as number;
  const ndims = bytes[3] as number;
  if (bytes[0] !== 0 || bytes[1] !== 0 || !(type in TYPE_NAMES)) {
    const found = `0x${Buffer.from(bytes.subarray(0, 4)).toString('hex').toUpperCase()}`;
    throw new DatasetError(
      `${file}: wrong magic number ${found}; an IDX ${content} file starts with ` +
        `${expectedMagic}. Is this an MNIST-style file, and fully downloaded?`,
      file,
    );
  }
  if (type !== UNSIGNED_BYTE) {
    throw new DatasetError(
      `${file}: holds ${TYPE_NAMES[type]}; MNIST-style ${content} files hold unsigned ` +
        `bytes (magic number ${expectedMagic})`,
      file,
    );
  }
  if (ndims !== DIMENSIONS[content]) {
    const other: IdxContent = content === 'images' ? 'labels' : 'images';
    const hint =
      ndims === DIMENSIONS[other] ? ` It looks like a ${other} file: are the images and labels files swapped?` : '';
    throw new DatasetError(
      `${file}: has ${ndims} dimensions where IDX ${content} have ${DIMENSIONS[content]} ` +
        `(magic number ${expectedMagic}).${hint}`,
      file,
    );
  }
  const length = 4 + 4 * ndims;
  if (bytes.length < length) {
    throw new DatasetError(`${file}: is truncated inside its header (${bytes.length} of ${length} bytes)`, file);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dims = Array.from({ length: ndims }, (_, i) => view.getUint32(4 + 4 * i, false));
  const elements = dims.reduce((product, size) => product * size, 1);
  if (elements > MAX_DATASET_VALUES) {
    throw new DatasetError(
      `${file}: its header declares ${dims.join(' x ')} = ${formatCount(elements)} ` +
        `values, more than the ${formatCount(MAX_DATASET_VALUES)} a data set may hold (it is ` +
        `held in memory as 32-bit floats); it is not read`,
      file,
    );
  }
  return { dims, length, elements };
}

export function parseIdx(bytes: Uint8Array, file: string, content: IdxContent): IdxArray {
  const { dims, length: headerLength, elements: expectedLength } = parseIdxHeader(bytes, file, content);
  const actualLength = bytes.length - headerLength;
  if (actualLength !== expectedLength) {
    const declared =
      content === 'images'
        ? `${dims[0]} images of ${dims[1]}x${dims[2]} pixels (${expectedLength.toLocaleString('en-US')} bytes)`
        : `${dims[0]} labels (${expectedLength.toLocaleString('en-US')} bytes)`;
    const problem =
      actualLength < expectedLength
        ? `is truncated: its header declares ${declared} but only ` +
          `${actualLength.toLocaleString('en-US')} bytes follow; download the file again`
        : `has ${(actualLength - expectedLength).toLocaleString('en-US')} bytes more than ` +
          `its header declares (${declared}); it is not a well-formed IDX file`;
    throw new DatasetError(`${file}: ${problem}`, file);
  }
  return { dims, data: bytes.subarray(headerLength) };
}

function magicHex(type: number, ndims: number): string {
  return `0x0000${type.toString(16).padStart(2, '0')}${ndims.toString(16).padStart(2, '0')}`
    .toUpperCase()
    .replace('0X', '0x');
}
