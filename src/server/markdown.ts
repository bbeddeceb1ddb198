/**
 * Model text (layer names, class names, messages quoting the file) shown in hover markdown. The
 * file may be hostile: it must not add links, images or HTML to the hover. Model text goes in
 * code spans, where markdown has no links or images; prose is escaped character by character.
 */

/** C0, DEL and C1 controls, and the bidirectional overrides that can reorder what is shown. */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const INVISIBLE = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

function visible(text: string): string {
  return text.replace(INVISIBLE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/**
 * A code span holding `text` verbatim: the fence is one backtick longer than the longest run of
 * backticks inside, with a space either side when the text starts or ends with a backtick
 * (CommonMark 6.1). `inTable`: a `|` would end the table cell even inside a code span (GFM).
 */
export function codeSpan(text: string, inTable = false): string {
  const body = visible(text);
  const longest = Math.max(0, ...(body.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(longest + 1);
  const pad = body.startsWith('`') || body.endsWith('`') || body.trim() === '' ? ' ' : '';
  const span = `${fence}${pad}${body}${pad}${fence}`;
  return inTable ? span.replace(/\|/g, '\\|') : span;
}

/** Prose with every markdown special escaped: no emphasis, links, images, autolinks or HTML. */
export function escapeMarkdown(text: string): string {
  return visible(text)
    .replace(/[\\`*_{}[\]()#+\-.!|<>~&:@]/g, (c) => `\\${c}`)
    .replace(/\n/g, ' ');
}
