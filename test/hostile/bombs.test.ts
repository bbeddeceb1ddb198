import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it, type TestContext } from 'node:test';
import * as zlib from 'node:zlib';
import { cliAsync } from '../helpers/cli';
import { repoPath } from '../helpers/paths';
import { joinRegExp } from '../helpers/regexp';
import { MEMORY_LIMIT_MIB, runChildCase, runIsolated, type IsolatedResult } from './isolate';

/**
 * Decompression and decoding bombs: small files that claim, or inflate to, gigabytes. Each is
 * refused from its header (or at the size its header declared) within BUDGET_MS, in a process
 * that stays under MEMORY_LIMIT_MIB. The files are made here, at test time.
 */

const BUDGET_MS = 60_000;
const MODEL = repoPath('examples', 'mnist-small.arch.yaml');

const isChild = runChildCase({
  eval: (data) =>
    cliAsync(
      'eval',
      MODEL,
      '--data',
      data,
      '--n',
      '5',
      '--attacks',
      'fgsm',
      '--backend',
      'cpu',
      '--workspace',
      path.join(data, '..', 'ws'),
    ),
});

function assertBounded(t: TestContext, result: IsolatedResult): void {
  t.diagnostic(`${result.ms} ms, peak ${result.peakMiB.toFixed(0)} MiB`);
  assert.equal(
    result.killed,
    undefined,
    `the case did not end by itself within ${BUDGET_MS} ms (${result.killed}); stderr: ` +
      `${result.rawStderr.slice(0, 500)}`,
  );
  assert.ok(result.peakMiB < MEMORY_LIMIT_MIB, `peak memory ${result.peakMiB.toFixed(0)} MiB`);
}

function idxHeader(dims: number[]): Buffer {
  const header = Buffer.alloc(4 + 4 * dims.length);
  header.writeUInt8(0x08, 2);
  header.writeUInt8(dims.length, 3);
  dims.forEach((d, i) => header.writeUInt32BE(d, 4 + 4 * i));
  return header;
}

/** A PNG chunk: length, type, data, CRC-32 of type and data. */
function chunk(type: string, data: Buffer): Buffer {
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

function crc32(bytes: Buffer): number {
  let c = 0xffffffff;
  for (const byte of bytes) {
    c ^= byte;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
  }
  return (c ^ 0xffffffff) >>> 0;
}

/** A PNG whose IHDR declares width x height (8-bit RGB) and whose IDAT holds one compressed row of zeros. */
function pngClaiming(width: number, height: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.writeUInt8(8, 8);
  ihdr.writeUInt8(2, 9);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', zlib.deflateSync(Buffer.alloc(1 + Math.min(width, 65536) * 3))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** A baseline JPEG's first segments, its start of frame declaring width x height. */
function jpegClaiming(width: number, height: number): Buffer {
  const app0 = Buffer.from([
    0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0x01, 0x01, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00,
  ]);
  const sof = Buffer.from([
    0xff,
    0xc0,
    0x00,
    0x0b,
    0x08,
    height >> 8,
    height & 0xff,
    width >> 8,
    width & 0xff,
    0x01,
    0x01,
    0x11,
    0x00,
  ]);
  return Buffer.concat([Buffer.from([0xff, 0xd8]), app0, sof, Buffer.from([0xff, 0xd9])]);
}

if (!isChild) {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'rl-hostile-bombs-'));
  after(() => fs.rmSync(root, { recursive: true, force: true }));
  const folder = (name: string, files: Record<string, Buffer>): string => {
    const dir = path.join(root, name, 'data');
    for (const [file, bytes] of Object.entries(files)) {
      fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
      fs.writeFileSync(path.join(dir, file), bytes);
    }
    return dir;
  };
  const labels = Buffer.concat([idxHeader([10]), Buffer.alloc(10)]);

  describe('hostile data: gzipped IDX', () => {
    it('a file whose gzip members inflate to 4 GiB past a 10-image header stops at the declared size', async (t) => {
      // gzip members are concatenated, so a 1 MiB run of zeros compressed once, repeated 4096
      // times, is a 4 MiB file that inflates to 4 GiB after a well-formed header.
      const zeros = zlib.gzipSync(Buffer.alloc(1024 * 1024), { level: 9 });
      const bomb = Buffer.concat([
        zlib.gzipSync(Buffer.concat([idxHeader([10, 28, 28]), Buffer.alloc(7840)])),
        ...Array.from({ length: 4096 }, () => zeros),
      ]);
      const dir = folder('gzip-members', { 't10k-images-idx3-ubyte.gz': bomb, 't10k-labels-idx1-ubyte': labels });
      const result = await runIsolated('eval', dir, BUDGET_MS);
      assertBounded(t, result);
      assert.equal(result.code, 1, result.stderr);
      assert.match(
        result.stderr,
        joinRegExp(
          /t10k-images-idx3-ubyte\.gz: the gzip data inflates to more than the 7,856 bytes its header declares; /,
          /it is not read/,
        ),
      );
    });

    it('a header that declares 100,000 images of 1000x1000 is refused before anything is inflated', async (t) => {
      const bomb = zlib.gzipSync(Buffer.concat([idxHeader([100_000, 1000, 1000]), Buffer.alloc(1024 * 1024)]));
      const dir = folder('gzip-header', { 't10k-images-idx3-ubyte.gz': bomb, 't10k-labels-idx1-ubyte': labels });
      const result = await runIsolated('eval', dir, BUDGET_MS);
      assertBounded(t, result);
      assert.equal(result.code, 1, result.stderr);
      assert.match(
        result.stderr,
        joinRegExp(
          /t10k-images-idx3-ubyte\.gz: its header declares 100000 x 1000 x 1000 = 100,000,000,000 values, /,
          /more than the 536,870,912 a data set may hold/,
        ),
      );
    });
  });

  describe('hostile data: image folders', () => {
    it('a PNG whose IHDR claims 60000x60000 is refused from its header', async (t) => {
      const dir = folder('png-huge', { 'a/0.png': pngClaiming(60_000, 60_000) });
      const result = await runIsolated('eval', dir, BUDGET_MS);
      assertBounded(t, result);
      assert.equal(result.code, 1, result.stderr);
      assert.match(
        result.stderr,
        joinRegExp(
          /a\/0\.png: its header declares 60000x60000 pixels, /,
          /more than the 16,777,216 an image may have; it is not decoded/,
        ),
      );
    });

    it('a JPEG whose start of frame claims 65000x65000 is refused from its header', async (t) => {
      const dir = folder('jpeg-huge', { 'a/0.jpg': jpegClaiming(65_000, 65_000) });
      const result = await runIsolated('eval', dir, BUDGET_MS);
      assertBounded(t, result);
      assert.equal(result.code, 1, result.stderr);
      assert.match(result.stderr, /a\/0\.jpg: its header declares 65000x65000 pixels/);
    });

    it('forty small PNGs that each claim 4000x4000 are refused before any is decoded', async (t) => {
      const png = pngClaiming(4000, 4000);
      const files = Object.fromEntries(
        Array.from({ length: 40 }, (_, i) => [`${i % 2 === 0 ? 'a' : 'b'}/${i}.png`, png]),
      );
      const dir = folder('png-many', files);
      const result = await runIsolated('eval', dir, BUDGET_MS);
      assertBounded(t, result);
      assert.equal(result.code, 1, result.stderr);
      assert.match(
        result.stderr,
        joinRegExp(
          /a\/0\.png: 40 images of 4000x4000 pixels make 1,920,000,000 values, /,
          /more than the 536,870,912 a data set may hold .*; nothing was decoded/,
        ),
      );
    });
  });
}
