import type { TextEdit } from '../ir/diagnostic';
import type { Position } from '../ir/source';

function offsetOf(lineStarts: readonly number[], text: string, position: Position): number {
  const start = lineStarts[position.line] ?? text.length;
  return Math.min(text.length, start + position.character);
}

/** Applies non-overlapping edits to `text` (as an editor applies a quick fix). */
export function applyEdits(text: string, edits: readonly TextEdit[]): string {
  const lineStarts = [0];
  for (let i = 0; i < text.length; i++) if (text[i] === '\n') lineStarts.push(i + 1);
  const resolved = edits
    .map((edit) => ({
      start: offsetOf(lineStarts, text, edit.range.start),
      end: offsetOf(lineStarts, text, edit.range.end),
      newText: edit.newText,
    }))
    .sort((a, b) => b.start - a.start);
  let out = text;
  for (const edit of resolved) out = out.slice(0, edit.start) + edit.newText + out.slice(edit.end);
  return out;
}
