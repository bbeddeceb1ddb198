/**
 * The results panel's HTML, shared by the extension (which fills in webview URIs) and the page's
 * own browser test, so both run the page under the same Content-Security-Policy.
 *
 * The policy allows only the bundled script (by nonce) and the bundled stylesheet (by source):
 * no inline script or <style>, no images, fonts, frames or connections. The page styles elements
 * only through the CSSOM (element.style, constructable stylesheets of the UI components), which a
 * CSP's style-src does not govern, so 'unsafe-inline' is never needed.
 */
export interface ResultsPanelHtmlOptions {
  /** The webview URI of dist/results.js. */
  readonly scriptUri: string;
  /** The webview URI of dist/results.css. */
  readonly styleUri: string;
  /** webview.cspSource. */
  readonly cspSource: string;
  /** A fresh random value per page load (letters and digits). */
  readonly nonce: string;
}

function attribute(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function resultsPanelHtml({ scriptUri, styleUri, cspSource, nonce }: ResultsPanelHtmlOptions): string {
  // These go into the CSP header itself, where quotes or semicolons would add directives.
  if (!/^[A-Za-z0-9+/=]{16,}$/.test(nonce))
    throw new Error('resultsPanelHtml: the nonce must be at least 16 base64 characters');
  // VS Code's cspSource is a list of sources ("'self' https://*.vscode-cdn.net"); accept exactly that
  // shape, so a semicolon or a keyword such as 'unsafe-inline' can never slip into the policy.
  const sources = cspSource.trim().split(/\s+/);
  if (sources.length === 0 || !sources.every((s) => s === "'self'" || /^[a-z][a-z0-9+.-]*:\/\/[^\s;,'"]+$/i.test(s))) {
    throw new Error(`resultsPanelHtml: unexpected cspSource ${cspSource}`);
  }
  const csp = [
    "default-src 'none'",
    `style-src ${cspSource}`,
    `script-src 'nonce-${nonce}'`,
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${attribute(csp)}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${attribute(styleUri)}">
<title>Robustness results</title>
</head>
<body>
<main id="app"><p class="muted">Reading the runs...</p></main>
<script nonce="${attribute(nonce)}" src="${attribute(scriptUri)}"></script>
</body>
</html>`;
}
