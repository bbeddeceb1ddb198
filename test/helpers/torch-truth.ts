import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import assert from 'node:assert/strict';
import { networksOf, readModelFile, summarize } from '../../src/core';

/** Debian's Python with PyTorch (the `python3` first on PATH may have none). */
export const TORCH_PYTHON = '/usr/bin/python3';

export const torchAvailable = ((): boolean => {
  try {
    execFileSync(TORCH_PYTHON, ['-c', 'import torch'], { stdio: 'ignore', timeout: 120_000 });
    return true;
  } catch {
    return false;
  }
})();

const COUNT = `
import importlib.util, json, sys, torch
out = {}
for file in sys.argv[1:]:
    spec = importlib.util.spec_from_file_location('fixture', file)
    try:
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        out[file] = sum(p.numel() for p in module.Net().parameters())
    except Exception as e:
        out[file] = 'error: %s: %s' % (type(e).__name__, e)
print(json.dumps(out))
`;

/**
 * PyTorch's own count of `Net()` in each source (written to a temporary folder and run there):
 * a number, or 'error: ...' where PyTorch refuses to build it.
 */
export function torchCounts(sources: Record<string, string>): Record<string, number | string> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'torch-truth-'));
  try {
    const files = Object.entries(sources).map(([name, text]) => {
      const file = path.join(dir, `${name.replace(/\W+/g, '_')}.py`);
      fs.writeFileSync(file, text);
      return [name, file] as const;
    });
    const raw = execFileSync(TORCH_PYTHON, ['-c', COUNT, ...files.map(([, f]) => f)], {
      encoding: 'utf8',
      timeout: 300_000,
    });
    const byFile = JSON.parse(raw) as Record<string, number | string>;
    return Object.fromEntries(files.map(([name, file]) => [name, byFile[file] ?? 'missing']));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** The static total of the one model named `Net` in a source, or "unknown: <reason>". */
export function staticTotal(source: string): number | string {
  const networks = networksOf(readModelFile('model.py', source)).filter((n) => n.name === 'Net');
  assert.equal(networks.length, 1, 'one model named Net');
  const total = summarize(networks[0] as (typeof networks)[number]).total;
  return total.known ? total.value : `unknown: ${total.reason}`;
}
