import * as fs from 'node:fs';
import { performance } from 'node:perf_hooks';
import { readModelFile, summarize, networksOf } from '../../src/core';
import { repoPath } from './paths';

/** Small deterministic PRNG (mulberry32) so a failure reproduces from its seed. */
export function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const TOKENS = ['-', ':', '[', ']', '{', '}', '(', ')', ',', '0', '-1', '7', '0.5', 'null', 'None', 'true', '"x"', '\n', '  ', '    ', '${a.b}',
  'torch.nn.Foo', '#', '&a', '*a', '\t', 'self', 'nn.Conv2d(', 'for i in range(10**6):', 'while True:', 'return ', '**', 'lambda x: x', 'super().__init__()', '"""'];

export function mutate(text: string, rand: () => number): string {
  let out = text;
  const edits = 1 + Math.floor(rand() * 4);
  for (let e = 0; e < edits; e++) {
    const at = Math.floor(rand() * out.length);
    const kind = rand();
    if (kind < 0.35) out = out.slice(0, at) + out.slice(at + 1 + Math.floor(rand() * 12));
    else if (kind < 0.7) out = out.slice(0, at) + (TOKENS[Math.floor(rand() * TOKENS.length)] ?? '') + out.slice(at);
    else out = out.replace(/\d+/g, (m) => (rand() < 0.1 ? String(Math.floor(rand() * 3000) - 5) : m));
  }
  return out;
}

export interface FuzzOutcome {
  readonly cases: number;
  readonly slowestMs: number;
  readonly failures: string[];
}

/**
 * Reads `rounds` mutations of a repository file through the front ends. A failure is an
 * exception, a case slower than `limitMs`, a diagnostic outside the file, or no network and no error.
 */
export function fuzzFile(relative: string, rounds: number, limitMs = 1000): FuzzOutcome {
  const original = fs.readFileSync(repoPath(relative), 'utf8');
  const file = relative.split('/').pop() ?? relative;
  const failures: string[] = [];
  let slowestMs = 0;
  for (let seed = 1; seed <= rounds; seed++) {
    const text = mutate(original, random(seed));
    const start = performance.now();
    try {
      const result = readModelFile(file, text);
      const lines = text.split('\n').length;
      for (const d of result.diagnostics) {
        if (d.range.start.line < 0 || d.range.start.line > lines || !d.message) failures.push(`seed ${seed}: bad diagnostic ${JSON.stringify(d)}`);
      }
      const models = networksOf(result);
      for (const network of models) summarize(network, 224);
      if (models.length === 0 && !result.diagnostics.some((d) => d.severity === 'error' || d.code === 'RL108')) failures.push(`seed ${seed}: no model and no error`);
    } catch (error) {
      failures.push(`seed ${seed}: threw ${(error as Error).stack ?? String(error)}`);
    }
    const ms = performance.now() - start;
    slowestMs = Math.max(slowestMs, ms);
    if (ms > limitMs) failures.push(`seed ${seed}: took ${ms.toFixed(0)} ms`);
  }
  return { cases: rounds, slowestMs, failures };
}

export const FUZZ_SOURCES = [
  'examples/robarch-s.arch.yaml',
  'examples/resnet50.arch.yaml',
  'examples/hydra/robarch_m.yaml',
  'test/fixtures/arch-spec/robarch-l.arch.json',
  'examples/pytorch/resnet.py',
  'examples/pytorch/robarch_s.py',
];
