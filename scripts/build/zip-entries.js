// The entries of a zip file (a .vsix is one), read from its central directory: enough to check
// what a package holds without unzip on the machine or a zip library among our dependencies.
// Format: PKWARE APPNOTE.TXT, sections 4.3.12 (central directory header) and 4.3.16 (end record).
'use strict';
const fs = require('node:fs');

const END_SIGNATURE = 0x06054b50;
const ENTRY_SIGNATURE = 0x02014b50;
const END_SIZE = 22;
/** The end record may be followed by a comment of at most 65,535 bytes. */
const MAX_COMMENT = 0xffff;

/** @returns {{ name: string, size: number, compressedSize: number }[]} */
function listZipEntries(file) {
  const data = fs.readFileSync(file);
  let end = -1;
  for (let i = data.length - END_SIZE; i >= Math.max(0, data.length - END_SIZE - MAX_COMMENT); i--) {
    if (data.readUInt32LE(i) === END_SIGNATURE) {
      end = i;
      break;
    }
  }
  if (end < 0) throw new Error(`${file}: not a zip file (no end of central directory record)`);
  const count = data.readUInt16LE(end + 10);
  let at = data.readUInt32LE(end + 16);
  const entries = [];
  for (let i = 0; i < count; i++) {
    if (at + 46 > data.length || data.readUInt32LE(at) !== ENTRY_SIGNATURE) {
      throw new Error(`${file}: central directory entry ${i} is damaged`);
    }
    const nameLength = data.readUInt16LE(at + 28);
    const extraLength = data.readUInt16LE(at + 30);
    const commentLength = data.readUInt16LE(at + 32);
    entries.push({
      name: data.toString('utf8', at + 46, at + 46 + nameLength),
      compressedSize: data.readUInt32LE(at + 20),
      size: data.readUInt32LE(at + 24),
    });
    at += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}

module.exports = { listZipEntries };
