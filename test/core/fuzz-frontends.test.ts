import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { readModelFile, summarize } from '../../src/core';
import { repoPath } from '../helpers/paths';

/** Small deterministic PRNG (mulberry32) so a failure reproduces from its seed. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const TOKENS = ['-', ':', '[', ']', '{', '}', ',', '0', '-1', '7', '0.5', 'null', 'true', '"x"', '\n', '  ', '${a.b}', 'torch.nn.Foo', '#', '&a', '*a', '\t'];

function mutate(text: string, rand: () => number): string {
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

const SOURCES = ['examples/robarch-s.arch.yaml', 'examples/resnet50.arch.yaml', 'examples/hydra/robarch_m.yaml', 'test/fixtures/arch-spec/robarch-l.arch.json'];
const ROUNDS = 300;

describe('front ends never throw on mangled files', () => {
  for (const source of SOURCES) {
    it(`${ROUNDS} mutations of ${source}`, () => {
      const original = fs.readFileSync(repoPath(source), 'utf8');
      const file = source.split('/').pop() ?? source;
      for (let seed = 1; seed <= ROUNDS; seed++) {
        const text = mutate(original, random(seed));
        const result = readModelFile(file, text);
        const lines = text.split('\n').length;
        for (const d of result.diagnostics) {
          assert.ok(d.range.start.line >= 0 && d.range.start.line < lines + 1, `seed ${seed}: range outside the file`);
          assert.ok(d.message.length > 0);
        }
        if (result.network) {
          const summary = summarize(result.network, 224);
          assert.ok(summary.knownParams >= 0, `seed ${seed}`);
        } else {
          assert.ok(result.diagnostics.some((d) => d.severity === 'error'), `seed ${seed}: no network and no error`);
        }
      }
    });
  }
});
