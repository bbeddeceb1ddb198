import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it, type TestContext } from 'node:test';
import * as tfl from '@tensorflow/tfjs-layers';
import { selectTfjsBackend } from '../../src/engine/tfjs/select-backend';
import { withWatchdog } from '../../src/engine/util/watchdog';
import { cli, cliAsync } from '../helpers/cli';
import { repoPath } from '../helpers/paths';
import { joinRegExp } from '../helpers/regexp';
import { MEMORY_LIMIT_MIB, runChildCase, runIsolated, type IsolatedResult } from './isolate';

/**
 * Model files that make TF.js spin forever in one synchronous call (where neither a timeout nor
 * Ctrl-C can get in), and the watchdog that bounds model loading. The model files are the
 * example TF.js model with its graph rewired by the test.
 */

const BUDGET_MS = 60_000;
const DATA = repoPath('test', 'fixtures', 'data', 'mnist-idx');

/** Blocks the event loop for good, as tfjs-layers does on a cyclic graph. */
function spinForever(): Promise<never> {
  for (;;) {
    // Nothing: the loop itself is the hang.
  }
}

const isChild = runChildCase({
  eval: (modelJson) =>
    cliAsync(
      'eval',
      modelJson,
      '--data',
      DATA,
      '--n',
      '5',
      '--attacks',
      'fgsm',
      '--backend',
      'cpu',
      '--workspace',
      path.join(path.dirname(modelJson), 'ws'),
    ),
  lint: (file) => cli('lint', file),
  // What tfjs does with the file when nothing checks it first (why the check exists).
  rawTfjs: async (modelJson) => {
    await selectTfjsBackend('cpu');
    const { modelTopology } = JSON.parse(fs.readFileSync(modelJson, 'utf8')) as { modelTopology: object };
    await tfl.loadLayersModel({ load: async () => ({ modelTopology }) });
    return { code: 0, stdout: 'loaded', stderr: '' };
  },
  watchdog: () => withWatchdog('spinning on purpose', 1, spinForever),
  ctrlC: async () => {
    // The CLI's first Ctrl-C only asks a run to stop after its current step (src/cli/main.ts).
    process.on('SIGINT', () => process.stderr.write('stop requested\n'));
    return withWatchdog('spinning on purpose', 120, () => {
      fs.writeSync(2, 'spinning now\n');
      return spinForever();
    });
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

type Layer = { name: string; inbound_nodes: unknown[] };

if (!isChild) {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'rl-hostile-hangs-'));
  after(() => fs.rmSync(root, { recursive: true, force: true }));
  /** The example model.json (with its weights beside it), its layers rewired by `rewire`. */
  const rewired = (name: string, rewire: (layers: Layer[]) => void): string => {
    const source = repoPath('examples', 'tfjs', 'mnist-small');
    const dir = path.join(root, name);
    fs.mkdirSync(dir, { recursive: true });
    fs.copyFileSync(path.join(source, 'weights.bin'), path.join(dir, 'weights.bin'));
    const json = JSON.parse(fs.readFileSync(path.join(source, 'model.json'), 'utf8')) as {
      modelTopology: { config: { layers: Layer[] } };
    };
    rewire(json.modelTopology.config.layers);
    fs.writeFileSync(path.join(dir, 'model.json'), JSON.stringify(json));
    return path.join(dir, 'model.json');
  };
  const layerNamed = (layers: Layer[], name: string): Layer => layers.find((l) => l.name === name) as Layer;
  // normalize takes the last layer's output: every layer after the input waits on itself.
  const cyclic = rewired('cyclic', (layers) => {
    layerNamed(layers, 'normalize').inbound_nodes = [[[(layers[layers.length - 1] as Layer).name, 0, 0, {}]]];
  });

  describe('hostile models: graphs TF.js cannot finish building', () => {
    it('tfjs-layers itself spins on the cyclic model (the input is truly hostile)', async () => {
      const result = await runIsolated('rawTfjs', cyclic, 8_000);
      assert.equal(result.killed, 'budget', `tfjs ended by itself: ${result.stdout} ${result.rawStderr.slice(0, 300)}`);
    });

    it('eval refuses a cyclic model.json and names the cycle', async (t) => {
      const result = await runIsolated('eval', cyclic, BUDGET_MS);
      assertBounded(t, result);
      assert.equal(result.code, 1, result.stderr);
      assert.match(
        result.stderr,
        joinRegExp(
          /cyclic\/model\.json: in the model, the layers form a cycle \(normalize -> \S+ -> .* -> normalize\); /,
          /TF\.js would loop forever loading it/,
        ),
      );
    });

    it('eval refuses a layer fed by a layer that does not exist, and a call that is never made', async (t) => {
      const unknown = rewired('unknown', (layers) => {
        layerNamed(layers, 'stem_conv').inbound_nodes = [[['no_such_layer', 0, 0, {}]]];
      });
      const missingCall = rewired('missing-call', (layers) => {
        layerNamed(layers, 'stem_conv').inbound_nodes = [[['normalize', 3, 0, {}]]];
      });
      const first = await runIsolated('eval', unknown, BUDGET_MS);
      assertBounded(t, first);
      assert.match(
        first.stderr,
        joinRegExp(
          /unknown\/model\.json: in the model, a layer takes its input from no_such_layer, /,
          /which is not a layer of the model/,
        ),
      );
      const second = await runIsolated('eval', missingCall, BUDGET_MS);
      assertBounded(t, second);
      assert.match(
        second.stderr,
        /missing-call\/model\.json: in the model, layer stem_conv takes call 3 of normalize, which is never made/,
      );
    });

    it('lint reports the cyclic model.json as an error at its topology, with no findings or counts', async (t) => {
      const result = await runIsolated('lint', cyclic, BUDGET_MS);
      assertBounded(t, result);
      assert.equal(result.code, 2, result.stderr);
      assert.match(
        result.stderr,
        /cyclic\/model\.json:1:\d+: RL103 in the model, the layers form a cycle \(normalize -> /,
      );
      assert.doesNotMatch(result.stdout, /RA\d{3}/);
    });
  });

  describe('the model-loading watchdog', () => {
    it('ends a process whose loop is blocked once the budget is spent, saying why', async () => {
      const result = await runIsolated('watchdog', '', BUDGET_MS);
      assert.equal(result.killed, 'SIGKILL', result.rawStderr);
      assert.match(
        result.rawStderr,
        /spinning on purpose took more than 1 s, so the process was stopped .*ROBUSTNESS_LENS_LOAD_TIMEOUT_S/,
      );
      assert.ok(result.ms < 30_000, `${result.ms} ms`);
    });

    it('lets Ctrl-C end a blocked load at once, although the CLI listens for SIGINT', async () => {
      const result = await runIsolated('ctrlC', '', BUDGET_MS, { stderr: 'spinning now', signal: 'SIGINT' });
      assert.equal(result.killed, 'SIGINT', result.rawStderr);
      assert.doesNotMatch(result.rawStderr, /took more than/);
    });

    it('puts the SIGINT listeners back after the load', async () => {
      const listener = (): void => undefined;
      process.on('SIGINT', listener);
      try {
        const value = await withWatchdog('a quick load', 30, async () => {
          assert.equal(process.listeners('SIGINT').includes(listener), false);
          return 7;
        });
        assert.equal(value, 7);
        assert.equal(process.listeners('SIGINT').includes(listener), true);
      } finally {
        process.removeListener('SIGINT', listener);
      }
    });
  });
}
