import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { buildServer, startServer, within, type ServerUnderTest } from '../helpers/language-server';
import { repoPath } from '../helpers/paths';

// The read-path classes of hostile input, as the language server meets them in a workspace
// (it runs in untrusted workspaces too): a config linked to /dev/zero or made a FIFO beside the
// model, and a .gitignore linked to /dev/zero under "lint workspace". Budget: each answer within
// 15 s (a read that followed /dev/zero or waited on the FIFO would never answer).
const ANSWER_WITHIN_MS = 15_000;

describe(
  'the language server reads nothing that is not a bounded regular file',
  { skip: process.platform === 'win32' },
  () => {
    let server: ServerUnderTest;
    let root: string;
    const spec = fs.readFileSync(repoPath('examples/resnet50.arch.yaml'), 'utf8');

    before(async () => {
      root = fs.mkdtempSync(path.join(os.tmpdir(), 'rl-server-reads-'));
      server = await startServer(await buildServer());
    });

    after(() => {
      server.stop();
      fs.rmSync(root, { recursive: true, force: true });
    });

    async function openAndAnswer(folder: string): Promise<{ codes: string[]; messages: string[] }> {
      const file = path.join(folder, 'model.arch.yaml');
      fs.writeFileSync(file, spec);
      const uri = pathToFileURL(file).toString();
      const published = server.diagnosticsFor(uri);
      await server.connection.sendNotification('textDocument/didOpen', {
        textDocument: { uri, languageId: 'yaml', version: 1, text: spec },
      });
      const result = await within(published, ANSWER_WITHIN_MS, `diagnostics in ${path.basename(folder)}`);
      const lenses = await within(
        server.connection.sendRequest('textDocument/codeLens', { textDocument: { uri } }),
        ANSWER_WITHIN_MS,
        'code lenses',
      );
      assert.ok(Array.isArray(lenses) && lenses.length > 0, 'the model still gets its lenses');
      await server.connection.sendNotification('textDocument/didClose', { textDocument: { uri } });
      return {
        codes: result.diagnostics.map((d) => String(d.code)),
        messages: result.diagnostics.map((d) => d.message),
      };
    }

    it('a robustness-lens.toml linked to /dev/zero: the model is still analysed', async () => {
      const folder = fs.mkdtempSync(path.join(root, 'zero-'));
      fs.symlinkSync('/dev/zero', path.join(folder, 'robustness-lens.toml'));
      const { codes } = await openAndAnswer(folder);
      assert.ok(
        codes.some((c) => c.startsWith('RA')),
        `the guideline findings are still there: ${codes.join(', ')}`,
      );
    });

    it('a pyproject.toml that is a FIFO: the model is still analysed, nothing waits on the pipe', async () => {
      const folder = fs.mkdtempSync(path.join(root, 'fifo-'));
      execFileSync('mkfifo', [path.join(folder, 'pyproject.toml')]);
      const { codes } = await openAndAnswer(folder);
      assert.ok(
        codes.some((c) => c.startsWith('RA')),
        `the guideline findings are still there: ${codes.join(', ')}`,
      );
    });
  },
);
