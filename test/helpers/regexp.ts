/**
 * One regular expression written as consecutive literal pieces, so that an expected message longer than a line
 * stays a regular expression literal (checked by the linter, highlighted by the editor) instead of an escaped
 * string. The pieces are concatenated as they are: each must be complete on its own (no group or class left open).
 */
export function joinRegExp(...pieces: readonly RegExp[]): RegExp {
  const flagged = pieces.find((piece) => piece.flags !== '');
  // A flag on one piece would silently apply to all of them, or be lost.
  if (flagged) throw new Error(`joinRegExp: the piece ${String(flagged)} has flags; pieces are joined without any`);
  return new RegExp(pieces.map((piece) => piece.source).join(''));
}
