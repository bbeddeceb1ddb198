import * as fs from 'node:fs';
import * as path from 'node:path';
import type { RunSummary } from '../../src/engine/run/run-messages';
import type { RunRecord } from '../../webview/src/results/protocol';
import { repoPath } from '../helpers/paths';

/** Run folders recorded with the CLI (config.json, environment.json, result.json; no checkpoints). */
export const FIXTURE_RUNS = repoPath('test/fixtures/runs');

function readJson(file: string): unknown {
  return JSON.parse(fs.readFileSync(file, 'utf8')) as unknown;
}

/**
 * The fixture runs as the extension would send them: newest first (run ids start with their
 * start time), each `dir` the folder the run was recorded in, so evaluations' `model.weights`
 * still point into their training run's folder.
 */
export function loadFixtureRuns(): RunRecord[] {
  const ids = fs
    .readdirSync(FIXTURE_RUNS, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name);
  return ids
    .sort()
    .reverse()
    .map((id): RunRecord => {
      const dir = path.join(FIXTURE_RUNS, id);
      const result = readJson(path.join(dir, 'result.json')) as RunSummary;
      const config = readJson(path.join(dir, 'config.json'));
      const kind = (config as { kind: 'train' | 'eval' }).kind;
      return {
        id,
        dir: result.runDir,
        kind,
        config,
        environment: readJson(path.join(dir, 'environment.json')),
        result,
        state: 'finished',
      };
    });
}
