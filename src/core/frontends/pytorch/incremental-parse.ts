import type { Point, Tree } from 'web-tree-sitter';

// eslint-disable-next-line no-control-regex
const NON_ASCII = /[^\x00-\x7f]/;

function pointAt(text: string, index: number): Point {
  let row = 0;
  let lineStart = 0;
  for (let i = text.indexOf('\n'); i !== -1 && i < index; i = text.indexOf('\n', i + 1)) {
    row++;
    lineStart = i + 1;
  }
  return { row, column: index - lineStart };
}

/**
 * Parses `text` reusing `old` (the tree of `oldText`) when it can: the edit is the span between
 * the texts' common prefix and suffix, which tree-sitter re-parses while keeping the rest.
 * tree-sitter counts bytes where JavaScript counts UTF-16 units: a text with non-ASCII
 * characters is parsed from scratch rather than converting offsets. Returns `old` itself when
 * the text did not change.
 */
export function reparse(
  old: Tree | undefined,
  oldText: string | undefined,
  text: string,
  fresh: (text: string, old?: Tree) => Tree | undefined,
): Tree | undefined {
  if (!old || oldText === undefined) return fresh(text);
  if (oldText === text) return old;
  if (NON_ASCII.test(text) || NON_ASCII.test(oldText)) return fresh(text);
  const shorter = Math.min(oldText.length, text.length);
  let prefix = 0;
  while (prefix < shorter && oldText.charCodeAt(prefix) === text.charCodeAt(prefix)) prefix++;
  let suffix = 0;
  while (
    suffix < shorter - prefix &&
    oldText.charCodeAt(oldText.length - 1 - suffix) === text.charCodeAt(text.length - 1 - suffix)
  )
    suffix++;
  const oldEnd = oldText.length - suffix;
  const newEnd = text.length - suffix;
  const edited = old.copy();
  edited.edit({
    startIndex: prefix,
    oldEndIndex: oldEnd,
    newEndIndex: newEnd,
    startPosition: pointAt(oldText, prefix),
    oldEndPosition: pointAt(oldText, oldEnd),
    newEndPosition: pointAt(text, newEnd),
  });
  try {
    return fresh(text, edited);
  } finally {
    edited.delete();
  }
}
