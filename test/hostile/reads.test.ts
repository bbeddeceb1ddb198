import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it, type TestContext } from 'node:test';
import { FileReadError, readTextBounded, readTextIfPresent } from '../../src/core';
import { readRunFolders } from '../../src/extension/runs/run-folders';
import { cli, cliAsync } from '../helpers/cli';
import { repoPath } from '../helpers/paths';
import { MEMORY_LIMIT_MIB, runChildCase, runIsolated, type IsolatedResult } from './isolate';

/**
 * Reads of files a workspace controls: FIFOs, links to /dev/zero, oversized files and weight
 * paths that lead out of the model's folder. Each must end with a message naming the file
 * within BUDGET_MS, in a process that stays under MEMORY_LIMIT_MIB. The inputs are made here.
 */

const BUDGET_MS = 30_000;

const isChild = runChildCase({
  lint: (dir) => cli('lint', dir),
  params: (file) => cli('params', file),
  eval: (args) => cliAsync('eval', ...(JSON.parse(args) as string[])),
  runs: (workspace) => {
    const lines: string[] = [];
    const records = readRunFolders([workspace], (line) => lines.push(line));
    return { code: records.length, stdout: records.map((r) => r.id).join('\n'), stderr: lines.join('\n') };
  },
});

function assertBounded(t: TestContext, result: IsolatedResult): void {
  t.diagnostic(`${result.ms} ms, peak ${result.peakMiB.toFixed(0)} MiB`);
  assert.equal(
    result.killed,
    undefined,
    `the case did not end by itself within ${BUDGET_MS} ms (${result.killed}); stderr: ` +
      `${result.rawStderr.slice(0, 500)}`,
  );
  assert.ok(result.peakMiB < MEMORY_LIMIT_MIB, `peak memory ${result.peakMiB.toFixed(0)} MiB`);
}

function mkfifo(file: string): void {
  execFileSync('mkfifo', [file]);
}

if (!isChild) {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'rl-hostile-reads-'));
  after(() => fs.rmSync(root, { recursive: true, force: true }));
  const model = fs.readFileSync(repoPath('examples', 'mnist-small.arch.yaml'), 'utf8');
  /** A folder with one model file and whatever `setup` adds. */
  const project = (name: string, setup: (dir: string) => void): string => {
    const dir = path.join(root, name);
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'net.arch.yaml'), model);
    setup(dir);
    return dir;
  };

  describe('hostile reads: configuration and .gitignore', () => {
    const cases: [string, (dir: string) => void, RegExp][] = [
      [
        'robustness-lens.toml linked to /dev/zero',
        (d) => fs.symlinkSync('/dev/zero', path.join(d, 'robustness-lens.toml')),
        /robustness-lens\.toml:1:1: RL120 is a character device \(it leads to \/dev\/zero\), not a regular file/,
      ],
      [
        'pyproject.toml that is a FIFO',
        (d) => mkfifo(path.join(d, 'pyproject.toml')),
        /pyproject\.toml:1:1: RL120 is a named pipe \(FIFO\), not a regular file/,
      ],
      [
        'pyproject.toml linked to a FIFO',
        (d) => {
          mkfifo(path.join(d, 'pipe'));
          fs.symlinkSync(path.join(d, 'pipe'), path.join(d, 'pyproject.toml'));
        },
        /pyproject\.toml:1:1: RL120 is a named pipe \(FIFO\) \(it leads to \S+pipe\)/,
      ],
      [
        'robustness-lens.toml of 2 MiB',
        (d) => fs.writeFileSync(path.join(d, 'robustness-lens.toml'), `# ${'x'.repeat(2 * 1024 * 1024)}\n`),
        /robustness-lens\.toml:1:1: RL120 is 2\.0 MiB; a configuration file is limited to 1\.0 MiB/,
      ],
    ];
    for (const [name, setup, message] of cases) {
      it(`${name}: lint says so with the path and does not read it`, async (t) => {
        const dir = project(name.replace(/\W+/g, '-'), setup);
        const result = await runIsolated('lint', dir, BUDGET_MS);
        assertBounded(t, result);
        // 2: lint could not read everything it was asked to.
        assert.equal(result.code, 2, result.stderr);
        assert.match(result.stderr, message);
      });
    }

    for (const [name, setup, kind] of [
      ['linked to /dev/zero', (f: string) => fs.symlinkSync('/dev/zero', f), 'a character device'],
      ['a FIFO', (f: string) => mkfifo(f), 'a named pipe \\(FIFO\\)'],
    ] as const) {
      it(`a .gitignore ${name} is reported with its path and the other files are still linted`, async (t) => {
        const dir = project(`gitignore-${name.replace(/\W+/g, '-')}`, (d) => {
          fs.mkdirSync(path.join(d, 'sub'));
          fs.writeFileSync(path.join(d, 'sub', 'other.arch.yaml'), model);
          setup(path.join(d, 'sub', '.gitignore'));
        });
        const result = await runIsolated('lint', dir, BUDGET_MS);
        assertBounded(t, result);
        assert.match(
          result.stderr,
          new RegExp(`sub/\\.gitignore:1:1: RL100 is ${kind}[^\\n]*; its rules are not applied`),
        );
        // Both model files were read and linted.
        assert.match(result.stdout + result.stderr, /net\.arch\.yaml/);
        assert.match(result.stdout + result.stderr, /other\.arch\.yaml/);
      });
    }

    it('a .gitignore linked to a regular file inside the folder is followed', () => {
      const dir = project('gitignore-link-inside', (d) => {
        fs.writeFileSync(path.join(d, 'rules'), 'ignored.arch.yaml\n');
        fs.writeFileSync(path.join(d, 'ignored.arch.yaml'), 'not: a model\n');
        fs.symlinkSync('rules', path.join(d, '.gitignore'));
      });
      const result = cli('lint', dir);
      assert.doesNotMatch(result.stdout + result.stderr, /ignored\.arch\.yaml/);
      assert.doesNotMatch(result.stderr, /RL100/);
    });
  });

  describe('hostile reads: model files', () => {
    it('params on a FIFO says it is a named pipe, at once', async (t) => {
      const file = path.join(root, 'pipe.arch.yaml');
      mkfifo(file);
      const result = await runIsolated('params', file, BUDGET_MS);
      assertBounded(t, result);
      assert.notEqual(result.code, 0);
      assert.match(result.stderr, /pipe\.arch\.yaml:1:1: error RL100 is a named pipe \(FIFO\), not a regular file/);
    });

    it('lint on a model file linked to /dev/zero says where the link leads', async (t) => {
      const file = path.join(root, 'zero.arch.yaml');
      fs.symlinkSync('/dev/zero', file);
      const result = await runIsolated('lint', file, BUDGET_MS);
      assertBounded(t, result);
      assert.match(result.stderr, /zero\.arch\.yaml:1:1: RL100 is a character device \(it leads to \/dev\/zero\)/);
    });
  });

  describe('hostile reads: run folders in the results panel', () => {
    it(
      'config.json or result.json linked to /dev/zero or a FIFO is skipped with a reason, ' +
        'and good runs are still listed',
      async (t) => {
        const runs = path.join(root, 'ws', '.robustness-lens', 'runs');
        const good = path.join(runs, '20260101-000000-eval-aaaa');
        fs.mkdirSync(good, { recursive: true });
        fs.writeFileSync(path.join(good, 'config.json'), JSON.stringify({ kind: 'eval' }));
        const zero = path.join(runs, '20260101-000001-eval-bbbb');
        fs.mkdirSync(zero);
        fs.symlinkSync('/dev/zero', path.join(zero, 'config.json'));
        const fifo = path.join(runs, '20260101-000002-eval-cccc');
        fs.mkdirSync(fifo);
        mkfifo(path.join(fifo, 'config.json'));
        const result = path.join(runs, '20260101-000003-eval-dddd');
        fs.mkdirSync(result);
        fs.writeFileSync(path.join(result, 'config.json'), JSON.stringify({ kind: 'eval' }));
        fs.symlinkSync('/dev/zero', path.join(result, 'result.json'));
        const outside = path.join(runs, '20260101-000004-eval-eeee');
        fs.mkdirSync(outside);
        fs.symlinkSync(path.join(good, 'config.json'), path.join(outside, 'config.json'));
        const listed = await runIsolated('runs', path.join(root, 'ws'), BUDGET_MS);
        assertBounded(t, listed);
        assert.deepEqual(listed.stdout.split('\n').sort(), ['20260101-000000-eval-aaaa', '20260101-000003-eval-dddd']);
        assert.match(listed.stderr, /skipped \S+bbbb: config\.json is a character device \(it leads to \/dev\/zero\)/);
        assert.match(listed.stderr, /skipped \S+cccc: config\.json is a named pipe \(FIFO\)/);
        assert.match(listed.stderr, /partly read \S+dddd: result\.json is a character device/);
        assert.match(
          listed.stderr,
          /skipped \S+eeee: config\.json is outside \S+eeee \(it leads to \S+aaaa\/config\.json\)/,
        );
      },
    );
  });

  describe('hostile reads: TF.js weight paths', () => {
    const source = repoPath('examples', 'tfjs', 'mnist-small');
    /** The example model with its manifest's paths replaced; `setup` may add files beside it. */
    const modelWith = (name: string, paths: string[], setup: (dir: string) => void = () => undefined): string => {
      const dir = path.join(root, name);
      fs.mkdirSync(dir, { recursive: true });
      const json = JSON.parse(fs.readFileSync(path.join(source, 'model.json'), 'utf8')) as {
        weightsManifest: { paths: string[] }[];
      };
      (json.weightsManifest[0] as { paths: string[] }).paths = paths;
      fs.writeFileSync(path.join(dir, 'model.json'), JSON.stringify(json));
      setup(dir);
      return path.join(dir, 'model.json');
    };
    const cases: [string, string, RegExp][] = [
      [
        '../../etc/passwd',
        modelWith('up', ['../../etc/passwd']),
        /weight file "\.\.\/\.\.\/etc\/passwd" is not a path inside the model's folder/,
      ],
      [
        '/proc/self/environ',
        modelWith('absolute', ['/proc/self/environ']),
        /weight file "\/proc\/self\/environ" is not a path inside the model's folder/,
      ],
      [
        'a link to /etc/passwd',
        modelWith('link-out', ['weights.bin'], (d) => fs.symlinkSync('/etc/passwd', path.join(d, 'weights.bin'))),
        /weights\.bin: is outside \S+link-out \(it leads to \/etc\/passwd\); a weight file must lie inside that folder/,
      ],
      [
        'a link to /dev/zero',
        modelWith('link-zero', ['weights.bin'], (d) => fs.symlinkSync('/dev/zero', path.join(d, 'weights.bin'))),
        /weights\.bin: is a character device \(it leads to \/dev\/zero\)/,
      ],
    ];
    for (const [name, modelJson, message] of cases) {
      it(`a weightsManifest path to ${name} is refused before anything is read`, async (t) => {
        const workspace = path.join(root, 'eval-ws');
        const args = [
          modelJson,
          '--data',
          repoPath('test', 'fixtures', 'data', 'mnist-idx'),
          '--n',
          '5',
          '--attacks',
          'fgsm',
          '--backend',
          'cpu',
          '--workspace',
          workspace,
        ];
        const result = await runIsolated('eval', JSON.stringify(args), BUDGET_MS);
        assertBounded(t, result);
        assert.equal(result.code, 1, result.stderr);
        assert.match(result.stderr, message);
      });
    }
  });

  describe('hostile reads: data files', () => {
    it('an MNIST images file that is a FIFO, or linked to /dev/zero, is refused with its path', async (t) => {
      const source = repoPath('test', 'fixtures', 'data', 'mnist-idx');
      for (const [name, setup, kind] of [
        [
          'fifo',
          (f: string) => mkfifo(f),
          /t10k-images-idx3-ubyte: cannot read the file \(is a named pipe \(FIFO\), not a regular file/,
        ],
        [
          'zero',
          (f: string) => fs.symlinkSync('/dev/zero', f),
          /t10k-images-idx3-ubyte: cannot read the file \(is a character device \(it leads to \/dev\/zero\)/,
        ],
      ] as const) {
        const dir = path.join(root, `data-${name}`);
        fs.mkdirSync(dir);
        fs.copyFileSync(path.join(source, 't10k-labels-idx1-ubyte'), path.join(dir, 't10k-labels-idx1-ubyte'));
        setup(path.join(dir, 't10k-images-idx3-ubyte'));
        const args = [
          repoPath('examples', 'mnist-small.arch.yaml'),
          '--data',
          dir,
          '--n',
          '5',
          '--attacks',
          'fgsm',
          '--backend',
          'cpu',
          '--workspace',
          path.join(root, 'eval-ws'),
        ];
        const result = await runIsolated('eval', JSON.stringify(args), BUDGET_MS);
        assertBounded(t, result);
        assert.equal(result.code, 1, result.stderr);
        assert.match(result.stderr, kind);
      }
    });
  });

  describe('the bounded reader', () => {
    it('follows a link to a regular file inside its root, refuses one outside, and tells missing from refused', () => {
      const dir = path.join(root, 'unit');
      fs.mkdirSync(path.join(dir, 'inner'), { recursive: true });
      fs.writeFileSync(path.join(dir, 'inner', 'a.txt'), 'hello');
      fs.symlinkSync(path.join(dir, 'inner', 'a.txt'), path.join(dir, 'inner', 'link.txt'));
      fs.writeFileSync(path.join(dir, 'outside.txt'), 'secret');
      fs.symlinkSync(path.join('..', 'outside.txt'), path.join(dir, 'inner', 'out-link.txt'));
      assert.equal(
        readTextBounded(path.join(dir, 'inner', 'link.txt'), { maxBytes: 10, root: path.join(dir, 'inner') }),
        'hello',
      );
      assert.throws(
        () => readTextBounded(path.join(dir, 'inner', 'a.txt'), { maxBytes: 4 }),
        (e: unknown) => e instanceof FileReadError && e.reason === 'too-large' && e.size === 5,
      );
      assert.throws(
        () => readTextBounded(path.join(dir, 'inner', 'out-link.txt'), { maxBytes: 10, root: path.join(dir, 'inner') }),
        (e: unknown) => e instanceof FileReadError && e.reason === 'outside-root',
      );
      assert.throws(
        () =>
          readTextBounded(path.join(dir, 'inner', '..', 'outside.txt'), {
            maxBytes: 10,
            root: path.join(dir, 'inner'),
          }),
        (e: unknown) => e instanceof FileReadError && e.reason === 'outside-root',
      );
      assert.equal(readTextIfPresent(path.join(dir, 'none.txt'), { maxBytes: 10 }), undefined);
      assert.deepEqual(readTextIfPresent(dir, { maxBytes: 10 }), {
        problem: 'is a folder, not a regular file; a file is not read from it',
      });
    });
  });
}
