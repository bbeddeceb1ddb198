import * as fs from 'node:fs';
import { performance } from 'node:perf_hooks';
import { mergeConfigs, networksOf, parseLintConfig, readModelFile, summarize, type Diagnostic } from '../../src/core';
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

const TOKENS = [
  '-',
  ':',
  '[',
  ']',
  '{',
  '}',
  '(',
  ')',
  ',',
  '0',
  '-1',
  '7',
  '0.5',
  'null',
  'None',
  'true',
  '"x"',
  '\n',
  '  ',
  '    ',
  '${a.b}',
  'torch.nn.Foo',
  '#',
  '&a',
  '*a',
  '\t',
  'self',
  'nn.Conv2d(',
  'for i in range(10**6):',
  'while True:',
  'return ',
  '**',
  'lambda x: x',
  'super().__init__()',
  '"""',
];

/** Extra tokens for TOML configuration files and JSON model files: their syntax and edge values. */
const TOML_TOKENS = [
  '=',
  '[[a]]',
  '[tool]',
  '[tool.robustness-lens]',
  '"""',
  "'''",
  '{ a = 1 }',
  'inf',
  'nan',
  '1e999',
  '0x7f',
  '"\\u0000"',
  '1979-05-27T07:32:00Z',
  '"RA011"',
  '"ALL"',
  'severity',
  '.',
  '"',
  "'",
  '\\',
  '"26M"',
  '-9007199254740993',
];
const JSON_TOKENS = [
  '{}',
  '[]',
  '"',
  ':',
  'null',
  '1e309',
  '-0',
  '"\\u0000"',
  '{"class_name": "Conv2D", "config": {}}',
  '"inbound_nodes"',
  '[[["x", 0, 0, {}]]]',
  '"weightsManifest"',
  '"../../etc/passwd"',
  '"batch_input_shape"',
  '[null, 99999, 99999, 3]',
  '"filters"',
  '1e9',
  '"kernel_size"',
];

export function mutate(text: string, rand: () => number, tokens: readonly string[] = TOKENS): string {
  let out = text;
  const edits = 1 + Math.floor(rand() * 4);
  for (let e = 0; e < edits; e++) {
    const at = Math.floor(rand() * out.length);
    const kind = rand();
    if (kind < 0.35) out = out.slice(0, at) + out.slice(at + 1 + Math.floor(rand() * 12));
    else if (kind < 0.7) out = out.slice(0, at) + (tokens[Math.floor(rand() * tokens.length)] ?? '') + out.slice(at);
    else out = out.replace(/\d+/g, (m) => (rand() < 0.1 ? String(Math.floor(rand() * 3000) - 5) : m));
  }
  return out;
}

export interface FuzzOutcome {
  readonly cases: number;
  readonly slowestMs: number;
  /** The seed of the slowest case, to reproduce it. */
  readonly slowestSeed: number;
  readonly failures: string[];
}

/** What one fuzz target reads: a model file through the front ends, or a configuration file. */
export interface FuzzTarget {
  readonly name: string;
  /** The file name the readers see. */
  readonly file: string;
  readonly text: () => string;
  readonly kind: 'model' | 'config';
  readonly tokens?: readonly string[];
}

function checkDiagnostics(seed: number, text: string, diagnostics: readonly Diagnostic[], failures: string[]): void {
  const lines = text.split('\n').length;
  for (const d of diagnostics) {
    if (d.range.start.line < 0 || d.range.start.line > lines || !d.message)
      failures.push(`seed ${seed}: bad diagnostic ${JSON.stringify(d)}`);
    // RL112 is a reader that threw: caught, but a bug all the same.
    if (d.code === 'RL112') failures.push(`seed ${seed}: ${d.message}`);
  }
}

/**
 * Reads `rounds` mutations of a target. A failure is an exception, an internal error (RL112), a
 * case slower than `limitMs`, a diagnostic outside the file, or (for a model) no network and no error.
 */
export function fuzzTarget(target: FuzzTarget, rounds: number, limitMs = 1000): FuzzOutcome {
  const original = target.text();
  const failures: string[] = [];
  let slowestMs = 0;
  let slowestSeed = 0;
  for (let seed = 1; seed <= rounds; seed++) {
    const text = mutate(original, random(seed), target.tokens);
    const start = performance.now();
    try {
      if (target.kind === 'config') {
        const parsed = parseLintConfig(target.file, text);
        checkDiagnostics(seed, text, parsed.diagnostics, failures);
        mergeConfigs(parsed.config, { ignore: ['RA001'] });
      } else {
        const result = readModelFile(target.file, text);
        checkDiagnostics(seed, text, result.diagnostics, failures);
        const models = networksOf(result);
        for (const network of models) summarize(network, 224);
        if (models.length === 0 && !result.diagnostics.some((d) => d.severity === 'error' || d.code === 'RL108'))
          failures.push(`seed ${seed}: no model and no error`);
      }
    } catch (error) {
      failures.push(`seed ${seed}: threw ${(error as Error).stack ?? String(error)}`);
    }
    const ms = performance.now() - start;
    if (ms > slowestMs) {
      slowestMs = ms;
      slowestSeed = seed;
    }
    if (ms > limitMs) failures.push(`seed ${seed}: took ${ms.toFixed(0)} ms`);
  }
  return { cases: rounds, slowestMs, slowestSeed, failures };
}

function repositoryModel(relative: string): FuzzTarget {
  return {
    name: relative,
    file: relative.split('/').pop() ?? relative,
    text: () => fs.readFileSync(repoPath(relative), 'utf8'),
    kind: 'model',
    tokens: relative.endsWith('model.json') ? [...TOKENS, ...JSON_TOKENS] : undefined,
  };
}

/** Reads `rounds` mutations of a repository file through the front ends. */
export function fuzzFile(relative: string, rounds: number, limitMs = 1000): FuzzOutcome {
  return fuzzTarget(repositoryModel(relative), rounds, limitMs);
}

export const FUZZ_SOURCES = [
  'examples/robarch-s.arch.yaml',
  'examples/resnet50.arch.yaml',
  'examples/hydra/robarch_m.yaml',
  'test/fixtures/arch-spec/robarch-l.arch.json',
  'examples/pytorch/resnet.py',
  'examples/pytorch/robarch_s.py',
];

/** Configuration files as users write them (no such file is committed, so the seeds are here). */
const CONFIG_SEEDS: Readonly<Record<string, string>> = {
  'robustness-lens.toml':
    '# Robustness Lens settings for this project\nselect = ["ALL"]\nextend-select = ' +
    '["RA018"]\nignore = ["RA011", "RA01"]\n' +
    'budget = "26M"\n\n[severity]\nRA007 = "error"\nRA013 = "info"\n',
  'pyproject.toml':
    '[project]\nname = "robust-models"\nversion = "0.1.0"\ndependencies = ' +
    '["torch>=2.0"]\n\n[tool.ruff]\nline-length = 120\n\n' +
    ('[tool.robustness-lens]\nselect = ["RA0"]\nignore = ["RA011"]\nbudget = ' +
      '26000000\n\n[tool.robustness-lens.severity]\nRA006 = "warning"\n'),
};

/** Every target of `npm run fuzz`: the files above, more Hydra configs and TF.js models, and TOML configs. */
export const FUZZ_TARGETS: readonly FuzzTarget[] = [
  ...FUZZ_SOURCES.map(repositoryModel),
  ...[
    'examples/hydra/robarch_s.yaml',
    'examples/tfjs/mnist-small/model.json',
    'examples/tfjs/resnet-cifar/model.json',
  ].map(repositoryModel),
  ...Object.entries(CONFIG_SEEDS).map(([file, text]): FuzzTarget => ({
    name: file,
    file,
    text: () => text,
    kind: 'config',
    tokens: [...TOKENS, ...TOML_TOKENS],
  })),
];
