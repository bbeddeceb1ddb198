import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * The nearest folder, from the running bundle's folder upwards, that holds `file`. Bundles live in
 * dist/ (files copied next to them) and tests in dist-test/test/..., a few levels below theirs.
 */
export function findUpward(file: string, start: string = __dirname, levels = 6): string | null {
  let dir = start;
  for (let i = 0; i <= levels; i++) {
    if (fs.existsSync(path.join(dir, file))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  return null;
}

/** Where the tfjs wasm binaries are (esbuild.js copies them next to the bundles). */
export function tfjsWasmDir(): string | null {
  return findUpward('tfjs-backend-wasm-simd.wasm');
}

/** robustness-lens's own folder, where optional packages must be installed to be found. */
export function packageRoot(): string | null {
  return findUpward('package.json');
}
