import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import { networksOf, readModelFile, summarize } from '../../src/core';
import { usePythonParser } from '../helpers/python';

usePythonParser();

// torchvision's own model files (Debian's python3-torchvision): code nobody on the team wrote.
// Every count the static front end states must equal PyTorch's; what it cannot follow it must
// say it does not know, never guess.
const MODELS = '/usr/lib/python3/dist-packages/torchvision/models';
const FILES = ['resnet.py', 'vgg.py', 'densenet.py', 'squeezenet.py', 'mobilenetv2.py', 'regnet.py'];

function exactCounts(names: string[]): Record<string, number> {
  const script =
    `import json, torchvision.models as m\nprint(json.dumps({n: sum(p.numel() for p in ` +
    `getattr(m, n)().parameters()) for n in ${JSON.stringify(names)}}))`;
  return JSON.parse(execFileSync('/usr/bin/python3', ['-c', script], { encoding: 'utf8', timeout: 300_000 })) as Record<
    string,
    number
  >;
}

const available =
  fs.existsSync(MODELS) &&
  (() => {
    try {
      execFileSync('/usr/bin/python3', ['-c', 'import torchvision'], { stdio: 'ignore', timeout: 60_000 });
      return true;
    } catch {
      return false;
    }
  })();

describe(
  "torchvision's own model files",
  { skip: available ? false : "Debian's python3-torchvision is not installed" },
  () => {
    for (const file of FILES) {
      it(`${file}: every stated count equals PyTorch's, the rest is unknown with a reason`, () => {
        const text = fs.readFileSync(`${MODELS}/${file}`, 'utf8');
        const read = readModelFile(`${MODELS}/${file}`, text);
        assert.deepEqual(
          read.diagnostics.filter((d) => d.severity === 'error'),
          [],
        );
        const stated = networksOf(read).map((n) => ({ name: n.name, total: summarize(n).total }));
        const known = stated.filter((s) => s.total.known);
        const exact = exactCounts(known.map((s) => s.name));
        for (const s of known) assert.equal(s.total.known && s.total.value, exact[s.name], `${file}: ${s.name}`);
        for (const s of stated) if (!s.total.known) assert.ok(s.total.reason.length > 0);
      });
    }

    it('counts the common families exactly', () => {
      const counted = new Set<string>();
      for (const file of ['resnet.py', 'vgg.py', 'densenet.py', 'squeezenet.py']) {
        for (const n of networksOf(readModelFile(`${MODELS}/${file}`, fs.readFileSync(`${MODELS}/${file}`, 'utf8')))) {
          if (summarize(n).total.known) counted.add(n.name);
        }
      }
      for (const name of [
        'resnet18',
        'resnet50',
        'resnet152',
        'vgg16',
        'vgg19_bn',
        'densenet121',
        'densenet201',
        'squeezenet1_1',
      ]) {
        assert.ok(counted.has(name), `${name} should be counted statically`);
      }
    });
  },
);
