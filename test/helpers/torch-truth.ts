import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import assert from 'node:assert/strict';
import { it } from 'node:test';
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

/** Builds `Net()` of a fixture file (a module named 'fixture', so files may hold any name). */
const BUILD = `
import importlib.util, json, sys, torch
def build(file):
    spec = importlib.util.spec_from_file_location('fixture', file)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.Net()
`;

const COUNT = `${BUILD}
out = []
for file in sys.argv[1:]:
    try:
        out.append(sum(p.numel() for p in build(file).parameters()))
    except Exception as e:
        out.append('error: %s: %s' % (type(e).__name__, e))
print(json.dumps(out))
`;

const PER_NAME = `${BUILD}
out = []
for file in sys.argv[1:]:
    net = build(file)
    counts = {name: sum(p.numel() for p in m.parameters()) for name, m in net.named_modules()}
    counts.update({name: p.numel() for name, p in net.named_parameters()})
    out.append(counts)
print(json.dumps(out))
`;

/** Writes the sources to a temporary folder and runs `script` on them in one Python: its JSON list, one a source. */
function runOnSources(script: string, sources: readonly string[]): unknown[] {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'torch-truth-'));
  try {
    const files = sources.map((text, i) => {
      const file = path.join(dir, `model_${i}.py`);
      fs.writeFileSync(file, text);
      return file;
    });
    const raw = execFileSync(TORCH_PYTHON, ['-c', script, ...files], { encoding: 'utf8', timeout: 300_000 });
    return JSON.parse(raw) as unknown[];
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * PyTorch's own count of `Net()` in each source: a number, or 'error: ...' where PyTorch refuses
 * to build it.
 */
export function torchCounts(sources: Record<string, string>): Record<string, number | string> {
  const names = Object.keys(sources);
  const counts = runOnSources(COUNT, Object.values(sources)) as (number | string)[];
  return Object.fromEntries(names.map((name, i) => [name, counts[i] ?? 'missing']));
}

/** For each source, PyTorch's count under each name of named_modules() and named_parameters() of `Net()`. */
export function torchPerName(sources: readonly string[]): Record<string, number>[] {
  return runOnSources(PER_NAME, sources) as Record<string, number>[];
}

/** The static total of the one model named `Net` in a source, or "unknown: <reason>". */
export function staticTotal(source: string): number | string {
  const networks = networksOf(readModelFile('model.py', source)).filter((n) => n.name === 'Net');
  assert.equal(networks.length, 1, 'one model named Net');
  const total = summarize(networks[0] as (typeof networks)[number]).total;
  return total.known ? total.value : `unknown: ${total.reason}`;
}

/** A model file (its model named `Net`) and its count: PyTorch's, or what the reason it is unknown says. */
export interface CountFixture {
  readonly source: string;
  readonly expected: number | RegExp;
  /** PyTorch refuses to build it too (checked where PyTorch is installed). */
  readonly torchRefuses?: true;
}

/**
 * A fixture suite's tests: each fixture's static count (or the reason it is unknown) and, where
 * Debian's PyTorch is installed, one run building every fixture of `built` there: each stated
 * count and each expected number is PyTorch's, and what `torchRefuses` marks PyTorch refuses.
 * `staticOnly` fixtures are not built (they import modules that are not there).
 */
export function countFixtureTests(
  built: Readonly<Record<string, CountFixture>>,
  staticOnly: Readonly<Record<string, CountFixture>> = {},
): void {
  for (const [name, { source, expected }] of Object.entries({ ...built, ...staticOnly })) {
    it(name, () => {
      const total = staticTotal(source);
      if (typeof expected === 'number') assert.equal(total, expected);
      else assert.match(String(total), expected);
    });
  }

  it(
    "every stated count is PyTorch's; what PyTorch refuses is unknown",
    { skip: torchAvailable ? false : "Debian's PyTorch is not installed", timeout: 300_000 },
    () => {
      const truth = torchCounts(Object.fromEntries(Object.entries(built).map(([k, v]) => [k, v.source])));
      for (const [name, { source, expected, torchRefuses }] of Object.entries(built)) {
        const total = staticTotal(source);
        if (typeof total === 'number') assert.equal(total, truth[name], name);
        if (typeof expected === 'number') assert.equal(truth[name], expected, `${name}: the expectation is PyTorch's`);
        if (torchRefuses) assert.match(String(truth[name]), /^error/, `${name}: PyTorch refuses it`);
      }
    },
  );
}
