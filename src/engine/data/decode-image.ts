import * as path from 'node:path';
import * as jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { FileReadError, READ_LIMITS, readFileBounded } from '../../core/workspace/read-bounded';
import { formatCount, MAX_IMAGE_PIXELS } from './data-limits';
import { DatasetError } from './dataset-error';

/** One decoded picture: 8-bit RGB pixels, row after row, and whether it has any colour. */
export interface DecodedImage {
  width: number;
  height: number;
  /** width * height * 3 bytes. */
  rgb: Uint8Array;
  /** Every pixel has red = green = blue. */
  gray: boolean;
}

export const IMAGE_EXTENSIONS = new Set(['.png', '.jpg', '.jpeg']);

/** Whether the file's name says it is a PNG or JPEG image. */
export function isImageFile(name: string): boolean {
  return IMAGE_EXTENSIONS.has(path.extname(name).toLowerCase());
}

/** An image file's bytes (bounded: a regular file of at most READ_LIMITS.image). */
export function readImageBytes(file: string): Buffer {
  try {
    return readFileBounded(file, { maxBytes: READ_LIMITS.image, what: 'image' });
  } catch (error) {
    if (!(error instanceof FileReadError)) throw error;
    throw new DatasetError(
      `${file}: cannot read the image (${error.reason === 'missing' ? 'it does not exist' : error.detail})`,
      file,
    );
  }
}

/**
 * The size an image's header declares, read without decoding: PNG's IHDR chunk, JPEG's start of
 * frame. Decoding allocates width x height x 4 bytes, so this is checked first.
 */
export function imageSize(file: string, bytes: Uint8Array): { width: number; height: number } {
  const isPng = path.extname(file).toLowerCase() === '.png';
  const size = isPng ? pngSize(bytes) : jpegSize(bytes);
  if (!size)
    throw new DatasetError(
      `${file}: not a readable ${isPng ? 'PNG' : 'JPEG'} image (no ` +
        `${isPng ? 'IHDR chunk' : 'start-of-frame marker'} with its size)`,
      file,
    );
  if (size.width === 0 || size.height === 0)
    throw new DatasetError(`${file}: its header declares an empty image (${size.width}x${size.height})`, file);
  if (size.width * size.height > MAX_IMAGE_PIXELS) {
    throw new DatasetError(
      `${file}: its header declares ${size.width}x${size.height} pixels, more than the ` +
        `${formatCount(MAX_IMAGE_PIXELS)} an image may have; it is not decoded (classifier ` +
        `data sets hold small images: resize them beforehand)`,
      file,
    );
  }
  return size;
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

function pngSize(b: Uint8Array): { width: number; height: number } | undefined {
  if (b.length < 24 || PNG_SIGNATURE.some((v, i) => b[i] !== v)) return undefined;
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  if (String.fromCharCode(b[12] as number, b[13] as number, b[14] as number, b[15] as number) !== 'IHDR')
    return undefined;
  return { width: view.getUint32(16, false), height: view.getUint32(20, false) };
}

/** Walks JPEG segments to the first start-of-frame (SOF0..SOF15 less DHT, JPG, DAC). */
function jpegSize(b: Uint8Array): { width: number; height: number } | undefined {
  if (b.length < 4 || b[0] !== 0xff || b[1] !== 0xd8) return undefined;
  let i = 2;
  while (i + 3 < b.length) {
    if (b[i] !== 0xff) return undefined;
    const marker = b[i + 1] as number;
    if (marker === 0xff) {
      i++;
      continue;
    }
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd8)) {
      i += 2;
      continue;
    }
    if (marker === 0xda || marker === 0xd9) return undefined;
    const length = ((b[i + 2] as number) << 8) | (b[i + 3] as number);
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      if (i + 8 >= b.length) return undefined;
      return {
        height: ((b[i + 5] as number) << 8) | (b[i + 6] as number),
        width: ((b[i + 7] as number) << 8) | (b[i + 8] as number),
      };
    }
    if (length < 2) return undefined;
    i += 2 + length;
  }
  return undefined;
}

/**
 * Decodes a PNG or JPEG file (by its name's extension), after checking its header's size.
 * Alpha is dropped, not composited: classifier data sets have no meaningful transparency, and
 * keeping the stored colour is what PIL's `convert('RGB')` does, so pixels match what a PyTorch
 * pipeline would see. `check` sees the declared size before anything is decoded.
 */
export function decodeImage(
  file: string,
  check: (size: { width: number; height: number }) => void = () => undefined,
): DecodedImage {
  const bytes = readImageBytes(file);
  check(imageSize(file, bytes));
  const isPng = path.extname(file).toLowerCase() === '.png';
  let rgba: { width: number; height: number; data: Uint8Array };
  try {
    // pngjs expands every colour type and bit depth to 8-bit RGBA (16-bit samples are scaled);
    // it inflates no more than IHDR's size. jpeg-js's own limits back up the header check.
    rgba = isPng
      ? PNG.sync.read(bytes)
      : jpeg.decode(bytes, {
          useTArray: true,
          formatAsRGBA: true,
          maxResolutionInMP: MAX_IMAGE_PIXELS / 1e6,
          maxMemoryUsageInMB: 512,
        });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new DatasetError(`${file}: not a readable ${isPng ? 'PNG' : 'JPEG'} image (${reason})`, file);
  }
  return dropAlpha(rgba.width, rgba.height, rgba.data);
}

function dropAlpha(width: number, height: number, rgba: Uint8Array): DecodedImage {
  const pixels = width * height;
  const rgb = new Uint8Array(pixels * 3);
  let gray = true;
  for (let p = 0; p < pixels; p++) {
    const r = rgba[4 * p] as number;
    const g = rgba[4 * p + 1] as number;
    const b = rgba[4 * p + 2] as number;
    rgb[3 * p] = r;
    rgb[3 * p + 1] = g;
    rgb[3 * p + 2] = b;
    if (r !== g || g !== b) gray = false;
  }
  return { width, height, rgb, gray };
}
