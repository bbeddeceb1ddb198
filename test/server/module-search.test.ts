import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { ModelSummary } from '../../src/core';
import { Analyzer } from '../../src/server/document-analysis';
import { DEFAULT_SETTINGS, parseSettings, resolveSearchPath, type ServerSettings } from '../../src/server/settings';
import {
  askSysPath,
  parseSysPath,
  SysPathCache,
  type SysPathAnswer,
} from '../../src/extension/interpreter-search-path';
import { usePythonParser } from '../helpers/python';

usePythonParser();

const BLOCK = (kernel: number): string => `import torch.nn as nn
from .cycle_a import WIDTH


class Block(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.conv = nn.Conv2d(c, WIDTH, ${kernel}, padding=1)

    def forward(self, x):
        return x + self.conv(x)
`;

const MODEL = `import torch.nn as nn
from pkg.blocks import Block
import not_there


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(3, 8, 3)
        self.body = Block(8)
        self.fc = nn.Linear(8, 10)

    def forward(self, x):
        return self.fc(self.body(self.stem(x)).mean((2, 3)))
`;

/** A library folder with a package (its modules importing each other in a cycle) and a model outside it. */
function project(): { lib: string; model: string; blocks: string } {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'rl-search-'));
  const lib = path.join(root, 'lib');
  fs.mkdirSync(path.join(lib, 'pkg'), { recursive: true });
  fs.mkdirSync(path.join(root, 'app'));
  fs.writeFileSync(path.join(lib, 'pkg', '__init__.py'), '');
  // Valid Python: cycle_b sees the partly run cycle_a, WIDTH already set.
  fs.writeFileSync(path.join(lib, 'pkg', 'cycle_a.py'), 'WIDTH = 8\nfrom .cycle_b import DEPTH\n');
  fs.writeFileSync(path.join(lib, 'pkg', 'cycle_b.py'), 'from .cycle_a import WIDTH\nDEPTH = WIDTH\n');
  const blocks = path.join(lib, 'pkg', 'blocks.py');
  fs.writeFileSync(blocks, BLOCK(3));
  const model = path.join(root, 'app', 'model.py');
  fs.writeFileSync(model, MODEL);
  return { lib, model, blocks };
}

function total(summary: ModelSummary | undefined): string {
  if (!summary) return 'no model';
  return summary.total.known ? String(summary.total.value) : `unknown: ${summary.total.reason}`;
}

describe('the language server follows imports on the search path', () => {
  it('counts a model whose block class lives on the search path; without it, says what it does not know', () => {
    const { lib, model } = project();
    let settings: ServerSettings = { ...DEFAULT_SETTINGS, pythonSearchPath: [lib] };
    const analyzer = new Analyzer(() => settings);
    // Stem 3*8*9+8, block 8*8*9+8, head 8*10+10: the missing `not_there` and the cycle stop nothing.
    assert.equal(total(analyzer.analyse('file:///m', model, MODEL, 1, true).summaries[0]), '898');
    settings = DEFAULT_SETTINGS;
    analyzer.invalidate();
    const alone = analyzer.analyse('file:///m', model, MODEL, 2, true);
    assert.match(total(alone.summaries[0]), /^unknown: .*pkg\.blocks\.Block/);
  });

  it('parses each module file once across reads and again only when it changed on disk', () => {
    const { lib, model, blocks } = project();
    const analyzer = new Analyzer(() => ({ ...DEFAULT_SETTINGS, pythonSearchPath: [lib] }));
    analyzer.analyse('file:///m', model, MODEL, 1, false);
    const first = { ...analyzer.modules.stats };
    // not_there is not found, so not read.
    const held = ['pkg/blocks.py', 'pkg/cycle_a.py', 'pkg/cycle_b.py'];
    assert.deepEqual(analyzer.modules.files.map((f) => path.relative(lib, f)).sort(), held);
    assert.equal(first.parsed, held.length);
    analyzer.analyse('file:///m', model, `${MODEL}\n`, 2, false);
    assert.equal(analyzer.modules.stats.parsed, first.parsed, 'nothing changed on disk: nothing parsed again');
    assert.equal(analyzer.modules.stats.reused, held.length);

    fs.writeFileSync(blocks, BLOCK(5));
    const later = new Date(Date.now() + 5_000);
    fs.utimesSync(blocks, later, later);
    const after = analyzer.analyse('file:///m', model, MODEL, 3, false);
    assert.equal(analyzer.modules.stats.parsed, first.parsed + 1, 'only the changed file is parsed again');
    // The block's conv is now 5x5: 8*8*25+8.
    assert.equal(total(after.summaries[0]), String(224 + 8 * 8 * 25 + 8 + 90));
  });

  it('keeps reading when a module on the path cannot be parsed', () => {
    const { lib, model, blocks } = project();
    fs.writeFileSync(blocks, 'class Block(:\n');
    const analyzer = new Analyzer(() => ({ ...DEFAULT_SETTINGS, pythonSearchPath: [lib] }));
    const analysis = analyzer.analyse('file:///m', model, MODEL, 1, false);
    assert.match(total(analysis.summaries[0]), /^unknown: /);
  });
});

describe('search path settings', () => {
  it("takes the setting's folders, then the interpreter's, dropping what is not a folder name", () => {
    const settings = parseSettings({
      python: { searchPath: ['/a', 3, '', 'rel'], interpreterSearchPath: ['/usr/lib/python3/dist-packages', '/a'] },
    });
    assert.deepEqual(settings.pythonSearchPath, ['/a', 'rel', '/usr/lib/python3/dist-packages']);
    assert.deepEqual(parseSettings({ python: { searchPath: 'not a list' } }).pythonSearchPath, []);
  });

  it('takes relative folders from each workspace folder and searches the workspace folders last', () => {
    const resolved = resolveSearchPath({ ...DEFAULT_SETTINGS, pythonSearchPath: ['/abs', 'src'] }, ['/w1', '/w2']);
    assert.deepEqual(resolved.pythonSearchPath, ['/abs', '/w1/src', '/w2/src', '/w1', '/w2']);
  });
});

describe('asking the interpreter for its sys.path', () => {
  it('keeps the absolute folders of the printed list', () => {
    assert.deepEqual(parseSysPath('["", "/usr/lib/python311.zip", "/usr/lib/python3/dist-packages", 4]\n'), [
      '/usr/lib/python3/dist-packages',
    ]);
    assert.equal(parseSysPath('Traceback (most recent call last):'), undefined);
    assert.equal(parseSysPath('{"a": 1}'), undefined);
  });

  it(
    "gets Debian's python3 sys.path",
    { skip: fs.existsSync('/usr/bin/python3') ? false : 'no /usr/bin/python3' },
    async () => {
      const answer = await askSysPath('/usr/bin/python3');
      assert.ok('folders' in answer, JSON.stringify(answer));
      assert.ok(answer.folders.every((f) => path.isAbsolute(f)));
      assert.ok(answer.folders.some((f) => f.includes('python3')));
    },
  );

  it('reports an interpreter that is not there or fails, rather than throw', async () => {
    const missing = await askSysPath(path.join(os.tmpdir(), 'no-such-python'));
    assert.ok('problem' in missing && /could not be asked for its sys\.path/.test(missing.problem));
    const failing = await askSysPath('/bin/false');
    assert.ok('problem' in failing);
  });

  it('asks each interpreter once and reports the outcome', async () => {
    const lines: string[] = [];
    let asked = 0;
    const cache = new SysPathCache(
      (line) => lines.push(line),
      (): Promise<SysPathAnswer> => {
        asked++;
        return Promise.resolve({ folders: ['/x'] });
      },
    );
    assert.deepEqual(await cache.folders('py'), ['/x']);
    assert.deepEqual(await cache.folders('py'), ['/x']);
    assert.equal(asked, 1);
    assert.equal(lines.length, 1);
    cache.clear();
    await cache.folders('py');
    assert.equal(asked, 2);
  });
});
