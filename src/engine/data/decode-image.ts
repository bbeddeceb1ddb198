import * as fs from 'node:fs';
import * as path from 'node:path';
import * as jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
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

/**
 * Decodes a PNG or JPEG file (by its name's extension). Alpha is dropped, not composited:
 * classifier data sets have no meaningful transparency, and keeping the stored colour is what
 * PIL's `convert('RGB')` does, so pixels match what a PyTorch pipeline would see.
 */
export function decodeImage(file: string): DecodedImage {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch (error) {
    throw new DatasetError(`${file}: cannot read the image (${error instanceof Error ? error.message : String(error)})`, file);
  }
  const isPng = path.extname(file).toLowerCase() === '.png';
  let rgba: { width: number; height: number; data: Uint8Array };
  try {
    // pngjs expands every colour type and bit depth to 8-bit RGBA (16-bit samples are scaled).
    rgba = isPng ? PNG.sync.read(bytes) : jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true });
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
