import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { describe, it } from 'node:test';
import {
  describeServerState,
  RESTART_SERVER_COMMAND,
  SHOW_OUTPUT_COMMAND,
} from '../../src/extension/server-state-text';
import { repoPath } from '../helpers/paths';

describe("the language server's status item", () => {
  it('says whether the server is starting, running or stopped, with an icon', () => {
    assert.equal(describeServerState('starting').text, '$(sync~spin) Robustness Lens');
    assert.equal(describeServerState('running').text, '$(check) Robustness Lens');
    assert.equal(describeServerState('stopped').text, '$(error) Robustness Lens');
    assert.match(describeServerState('stopped').tooltip, /has stopped: no counts or warnings until it restarts/);
  });

  it('alarms only when the server has stopped, and then gives the reason it was given', () => {
    assert.deepEqual(
      ['starting', 'running', 'stopped'].map((s) => describeServerState(s as 'running').alarming),
      [false, false, true],
    );
    assert.match(
      describeServerState('stopped', 'restarting on request').tooltip,
      /stopped: .* \(restarting on request\)\./,
    );
  });

  it('links "Show Output" and "Restart Server" to commands the extension contributes', () => {
    const tooltip = describeServerState('running').tooltip;
    const linked = [...tooltip.matchAll(/\[([^\]]+)\]\(command:([\w.]+)\)/g)].map((m) => [m[1], m[2]]);
    assert.deepEqual(linked, [
      ['Show Output', SHOW_OUTPUT_COMMAND],
      ['Restart Server', RESTART_SERVER_COMMAND],
    ]);
    const manifest = JSON.parse(fs.readFileSync(repoPath('package.json'), 'utf8')) as {
      contributes: { commands: { command: string; title: string }[] };
    };
    const titles = new Map(manifest.contributes.commands.map((c) => [c.command, c.title]));
    assert.equal(titles.get(SHOW_OUTPUT_COMMAND), 'Show Output');
    assert.equal(titles.get(RESTART_SERVER_COMMAND), 'Restart Server');
  });
});
