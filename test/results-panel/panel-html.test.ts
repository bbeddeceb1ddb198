import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { resultsPanelHtml } from '../../webview/src/results/panel-html';

// The HTML both the extension and the browser test load the page with.
describe('resultsPanelHtml', () => {
  const options = {
    scriptUri: 'https://file+.vscode-resource.vscode-cdn.net/ext/dist/results.js',
    styleUri: 'https://file+.vscode-resource.vscode-cdn.net/ext/dist/results.css',
    cspSource: 'https://*.vscode-cdn.net',
    nonce: 'abcdefABCDEF0123456789',
  };
  const html = resultsPanelHtml(options);
  const csp = /http-equiv="Content-Security-Policy" content="([^"]*)"/.exec(html)?.[1] ?? '';

  it('allows only the bundled script by nonce and the bundled stylesheet by source', () => {
    assert.deepEqual(csp.split('; '), [
      "default-src 'none'",
      'style-src https://*.vscode-cdn.net',
      "script-src 'nonce-abcdefABCDEF0123456789'",
      "base-uri 'none'",
      "form-action 'none'",
    ]);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|data:|\*;/);
  });

  it('loads the script with the nonce and the stylesheet from the given URIs', () => {
    assert.ok(html.includes(`<script nonce="${options.nonce}" src="${options.scriptUri}"></script>`));
    assert.ok(html.includes(`<link rel="stylesheet" href="${options.styleUri}">`));
    assert.equal((html.match(/<script/g) ?? []).length, 1);
    assert.doesNotMatch(html, /<style|style="/);
  });

  it('escapes URIs and refuses values that would change the policy', () => {
    assert.ok(
      resultsPanelHtml({ ...options, scriptUri: 'https://x/"><script>alert(1)</script>' }).includes(
        'https://x/&quot;&gt;&lt;script&gt;',
      ),
    );
    assert.throws(() => resultsPanelHtml({ ...options, nonce: "abc'; script-src *" }));
    assert.throws(() => resultsPanelHtml({ ...options, nonce: 'short' }));
    assert.throws(() => resultsPanelHtml({ ...options, cspSource: "https://x; script-src 'unsafe-inline'" }));
    assert.throws(() => resultsPanelHtml({ ...options, cspSource: "'self' 'unsafe-inline'" }));
    // What VS Code 1.100 really gives.
    assert.match(
      resultsPanelHtml({ ...options, cspSource: "'self' https://*.vscode-cdn.net" }),
      /style-src 'self' https:\/\/\*\.vscode-cdn\.net;/,
    );
  });
});
