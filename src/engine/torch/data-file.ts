import type { Dataset } from '../data/dataset';
import { writeFileAtomic } from '../util/atomic-write';

/**
 * <run>/data.rlds: the training and held-out images a PyTorch run uses, as the engine's own
 * readers produced them (python/robustness_lens_trainer/data.py reads it). Writing what the
 * engine read, rather than letting Python read the sources again, keeps one set of readers
 * (IDX, CIFAR binaries, image folders, the bundled digits) and one class order, and makes the
 * trainers' data identical by construction; it costs one copy of the data in the run folder.
 * Layout: "RLDS", uint32 LE header length, JSON header, then per split images (NHWC) and int32
 * labels. Images are stored as bytes (value * 255) when every value is a multiple of 1/255, as
 * 8-bit sources give, else as float32.
 */
export const DATA_FILE = 'data.rlds';

export function writeDataFile(
  file: string,
  splits: { readonly train: Dataset; readonly eval: Dataset },
): { bytes: number; dtype: 'uint8' | 'float32' } {
  const { train, eval: held } = splits;
  const bytesExact = isByteValued(train.images) && isByteValued(held.images);
  const dtype = bytesExact ? 'uint8' : 'float32';
  const parts: Uint8Array[] = [];
  const entries: Record<string, { n: number; images: number; labels: number }> = {};
  let offset = 0;
  for (const [name, d] of [
    ['train', train],
    ['eval', held],
  ] as const) {
    const images = bytesExact
      ? Uint8Array.from(d.images, (v) => Math.round(v * 255))
      : new Uint8Array(Float32Array.from(d.images).buffer);
    const labels = new Uint8Array(Int32Array.from(d.labels).buffer);
    entries[name] = { n: d.n, images: offset, labels: offset + images.length };
    parts.push(images, labels);
    offset += images.length + labels.length;
  }
  const shape = [train.shape.height, train.shape.width, train.shape.channels];
  const header = Buffer.from(
    JSON.stringify({ version: 1, dtype, shape, numClasses: train.numClasses, splits: entries }),
    'utf8',
  );
  const out = new Uint8Array(8 + header.length + offset);
  out.set(Buffer.from('RLDS', 'ascii'), 0);
  new DataView(out.buffer).setUint32(4, header.length, true);
  out.set(header, 8);
  let at = 8 + header.length;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  writeFileAtomic(file, out);
  return { bytes: out.length, dtype };
}

function isByteValued(values: Float32Array): boolean {
  for (const v of values) {
    const b = Math.round(v * 255);
    if (b < 0 || b > 255 || Math.fround(b / 255) !== v) return false;
  }
  return true;
}
