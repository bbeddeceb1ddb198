import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after } from 'node:test';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'robustness-lens-test-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Writes a file into this test file's temporary folder and returns its path. */
export function writeTemp(name: string, content: string | Buffer): string {
  const file = path.join(dir, name);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, content);
  return file;
}
