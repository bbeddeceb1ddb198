/** Sub-batches: attacks keep working only on the samples that are still robust. */

/** The rows `rows` of a row-major matrix with `size` values per row, packed. */
export function gatherRows<T extends Float32Array | Int32Array>(source: T, rows: ArrayLike<number>, size: number): T {
  const out = new (source.constructor as new (length: number) => T)(rows.length * size);
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r] ?? 0;
    out.set(source.subarray(row * size, (row + 1) * size), r * size);
  }
  return out;
}

/** Indices where `flags` is set. */
export function setIndices(flags: Uint8Array): Int32Array {
  const out: number[] = [];
  flags.forEach((flag, i) => {
    if (flag) out.push(i);
  });
  return Int32Array.from(out);
}
