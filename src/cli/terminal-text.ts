/**
 * Text the CLI prints carries file names and model text (names, messages quoting the file). A
 * crafted file could hold terminal escape sequences: OSC 52 writes the clipboard, others retitle
 * the window, hide text or move the cursor. Every control character except newline and tab, and
 * the bidirectional overrides that reorder what is shown, is printed as a visible `\uXXXX`
 * escape; inside a JSON string that escape is the same character, so JSON output stays valid.
 */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const UNSAFE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

export function terminalSafe(text: string): string {
  return text.replace(UNSAFE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
